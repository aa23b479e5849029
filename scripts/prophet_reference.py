#!/usr/bin/env python3
"""Reference forecasts from the Python Prophet, for tests/prophet_reference.rs.

Fits Prophet (PyPI package `prophet` >= 1.1, which ships its own compiled Stan model) on
the first 21 days of tests/data/nyc_taxi.csv (1,008 half-hour steps) with the options
prescale uses (daily and weekly seasonality, no yearly, default changepoints, interval
width 0.8, 1000 uncertainty samples), predicts the next 2 days (96 steps) and writes
tests/data/prophet_reference_nyc_taxi.csv, and its MAP parameters (k, m, sigma_obs, delta,
beta by Fourier term, in Prophet's scaled units) to
tests/data/prophet_reference_nyc_taxi_params.json.

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

# MAP parameters. Prophet names a Fourier column `<season>_delim_<i>`: i = 2j - 1 is the
# sine of order j, i = 2j its cosine.
params = {name: np.asarray(v).reshape(-1) for name, v in m.params.items()}
feature_names = list(m.make_all_seasonality_features(m.history)[0].columns)
period = {"daily": 1.0, "weekly": 7.0}
beta = []
for name, b in zip(feature_names, params["beta"]):
    season, i = name.split("_delim_")
    i = int(i)
    beta.append({"period_days": period[season], "order": (i + 1) // 2, "sin": i % 2 == 1, "beta": float(b)})
import json
with open(os.path.join(ROOT, "tests", "data", "prophet_reference_nyc_taxi_params.json"), "w") as f:
    json.dump(
        {
            "prophet": __import__("prophet").__version__,
            "k": float(params["k"][0]),
            "m": float(params["m"][0]),
            "sigma_obs": float(params["sigma_obs"][0]),
            "delta": [float(d) for d in params["delta"]],
            "t_change": [float(c) for c in m.changepoints_t],
            "beta": beta,
        },
        f,
        indent=1,
    )
    f.write("\n")
inside = ((out["y"] >= out["yhat_lower"]) & (out["y"] <= out["yhat_upper"])).mean()
print(f"wrote {path}: {len(out)} rows, coverage {inside:.3f}")
