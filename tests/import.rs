//! Trace import on the real NAB traces of `tests/data/` (copied from `../shared/traces/`).

use prescale::trace::format_timestamp;
use prescale::trace::import::{parse_csv, ImportOptions};

fn load(name: &str) -> prescale::trace::import::Imported {
    let bytes = std::fs::read(format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    parse_csv(&bytes, &ImportOptions::default()).unwrap()
}

#[test]
fn elb_trace_has_five_minute_steps_and_eight_gaps() {
    // 4,032 rows from 2014-04-10 00:04 to 2014-04-24 00:39: 20,195 minutes / 5 + 1 = 4,040
    // steps, of which 8 were missing (eight 10-minute gaps; counted with Python's csv).
    let t = load("elb_request_count_8c0756.csv");
    assert_eq!(t.trace.step_minutes, 5);
    assert_eq!(t.trace.len(), 4040);
    assert_eq!(t.filled_steps, 8);
    assert_eq!(format_timestamp(t.trace.start), "2014-04-10T00:04:00Z");
    assert_eq!(t.trace.requests[0], 94.0);
    assert_eq!(t.trace.in_event, None);
}

#[test]
fn nyc_taxi_trace_has_thirty_minute_steps() {
    let t = load("nyc_taxi.csv");
    assert_eq!(t.trace.step_minutes, 30);
    assert_eq!(t.trace.len(), 10_320);
    assert_eq!(t.filled_steps, 0);
    assert_eq!(t.trace.requests[..3], [10844.0, 8127.0, 6210.0]);
    assert_eq!(
        format_timestamp(t.trace.timestamp(10_319)),
        "2015-01-31T23:30:00Z"
    );
}
