#!/usr/bin/env python3
"""Reference forecasts from the Python Prophet, for tests/prophet_reference.rs.

Fits Prophet (PyPI package `prophet` >= 1.1, which ships its own compiled Stan model) on
the first 21 days of tests/data/nyc_taxi.csv (1,008 half-hour steps) with the options
prescale uses (daily and weekly seasonality, no yearly, default changepoints, interval
width 0.8, 1000 uncertainty samples), predicts the next 2 days (96 steps) and writes
tests/data/prophet_reference_nyc_taxi.csv.

Regenerate:
    python3 -m venv /tmp/prophet-venv && /tmp/prophet-venv/bin/pip install prophet
    /tmp/prophet-venv/bin/python scripts/prophet_reference.py
"""
import os

import numpy as np
import pandas as pd
from prophet import Prophet

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRAIN_STEPS = 21 * 48
TEST_STEPS = 2 * 48

df = pd.read_csv(os.path.join(ROOT, "tests", "data", "nyc_taxi.csv"))
df = df.rename(columns={"timestamp": "ds", "value": "y"})
df["ds"] = pd.to_datetime(df["ds"])
train = df.iloc[:TRAIN_STEPS]
test = df.iloc[TRAIN_STEPS : TRAIN_STEPS + TEST_STEPS]

np.random.seed(42)
m = Prophet(
    daily_seasonality=True,
    weekly_seasonality=True,
    yearly_seasonality=False,
    interval_width=0.8,
    uncertainty_samples=1000,
)
m.fit(train)
fc = m.predict(test[["ds"]])
out = pd.DataFrame(
    {
        "ds": test["ds"].dt.strftime("%Y-%m-%dT%H:%M:%SZ").values,
        "y": test["y"].values,
        "yhat": fc["yhat"].round(3).values,
        "yhat_lower": fc["yhat_lower"].round(3).values,
        "yhat_upper": fc["yhat_upper"].round(3).values,
    }
)
path = os.path.join(ROOT, "tests", "data", "prophet_reference_nyc_taxi.csv")
out.to_csv(path, index=False)
inside = ((out["y"] >= out["yhat_lower"]) & (out["y"] <= out["yhat_upper"])).mean()
print(f"wrote {path}: {len(out)} rows, coverage {inside:.3f}")
