//! Trace import on real and real-shaped files of `tests/data/`: the NAB traces (their
//! provenance in `tests/data/README.md`), and one small file per format written by
//! `scripts/import_fixtures.py`, whose expected counts that script computes on its own
//! (Python's csv, json, gzip and datetime), printed when it runs.

use prescale::trace::format_timestamp;
use prescale::trace::import::{parse_csv, read, CountUnit, Format, ImportOptions};

fn bytes(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn load(name: &str) -> prescale::trace::import::Imported {
    parse_csv(&bytes(name), &ImportOptions::default()).unwrap()
}

#[test]
fn elb_trace_has_five_minute_steps_and_eight_gaps() {
    // 4,032 rows from 2014-04-10 00:04 to 2014-04-24 00:39: 20,195 minutes / 5 + 1 = 4,040
    // steps, of which 8 were missing (eight 10-minute gaps; counted with Python's csv).
    let t = load("elb_request_count_8c0756.csv");
    assert_eq!(t.trace.step_seconds, 300);
    assert_eq!(t.trace.len(), 4040);
    assert_eq!(t.filled_steps, 8);
    assert_eq!(format_timestamp(t.trace.start), "2014-04-10T00:04:00Z");
    assert_eq!(t.trace.requests[0], 94.0);
    assert_eq!(t.trace.in_event, None);
}

#[test]
fn nyc_taxi_trace_has_thirty_minute_steps() {
    let t = load("nyc_taxi.csv");
    assert_eq!(t.trace.step_seconds, 1800);
    assert_eq!(t.trace.len(), 10_320);
    assert_eq!(t.filled_steps, 0);
    assert_eq!(t.trace.requests[..3], [10844.0, 8127.0, 6210.0]);
    assert_eq!(
        format_timestamp(t.trace.timestamp(10_319)),
        "2015-01-31T23:30:00Z"
    );
}

#[test]
fn prometheus_rates_of_one_job_summed_into_minutes() {
    // Two series of job "api" (and one of job "batch", left out), a rate every 15 s for
    // 5 minutes, one NaN: the script's per-minute counts are 195 each (`--step 1m`;
    // without it the trace keeps the samples' 15-second step).
    let opts = ImportOptions {
        count_unit: CountUnit::PerSecond,
        series: Some("job=\"api\"".into()),
        step_seconds: Some(60),
        ..ImportOptions::default()
    };
    let t = read(&[bytes("prometheus_range.json")], &opts).unwrap();
    assert_eq!(t.report.format, Some(Format::Prometheus));
    assert!(t.report.detected);
    assert_eq!(t.trace.step_seconds, 60);
    assert_eq!(t.trace.requests, vec![195.0; 5]);
    assert_eq!(format_timestamp(t.trace.start), "2026-01-05T10:00:00Z");
    assert_eq!(t.filled_steps, 1, "the NaN's sample");
    let report = t.report.to_string();
    assert!(report.contains("series: 2 of 3 summed"), "{report}");
    // All three series, as counts per sample: job batch adds 100 × 4 a minute; read at
    // the samples' own 15 s step, the first minute's four samples hold the same.
    let all = read(&[bytes("prometheus_range.json")], &opts_minutes()).unwrap();
    assert_eq!(all.trace.requests[0], 13.0 + 400.0);
    let own = read(&[bytes("prometheus_range.json")], &ImportOptions::default()).unwrap();
    assert_eq!(own.trace.step_seconds, 15);
    assert_eq!(own.trace.requests[..4].iter().sum::<f64>(), 13.0 + 400.0);
}

/// The default options but `--step 1m`.
fn opts_minutes() -> ImportOptions {
    ImportOptions {
        step_seconds: Some(60),
        ..ImportOptions::default()
    }
}

#[test]
fn detection_looks_past_a_garbled_first_line() {
    // The fixture's log with a garbled line put first: still an access log (3 of its
    // first 5 lines at least look like one), the line skipped as the other garbled one.
    use std::io::Read;
    let mut log = String::new();
    flate2::read::GzDecoder::new(&bytes("access_log.gz")[..])
        .read_to_string(&mut log)
        .unwrap();
    let garbled = format!("%%% not a log line\n{log}");
    let t = read(&[garbled.as_bytes()], &ImportOptions::default()).unwrap();
    assert_eq!(t.report.format, Some(Format::AccessLog));
    assert_eq!(t.trace.requests, vec![19.0, 15.0, 6.0]);
    assert!(
        t.report.to_string().contains("2 malformed lines skipped"),
        "{}",
        t.report
    );
    // A CSV is not taken for a log.
    let csv = read(
        &[&b"timestamp,requests\n2026-01-05T00:00:00Z,1\n2026-01-05T00:01:00Z,2\n"[..]],
        &ImportOptions::default(),
    )
    .unwrap();
    assert_eq!(csv.report.format, Some(Format::Csv));
}

#[test]
fn an_access_log_gzipped_with_its_zone_and_a_malformed_line() {
    // 40 requests from 1995-07-01 00:00 -0400 over 3 minutes; one garbled line skipped.
    let t = read(&[bytes("access_log.gz")], &ImportOptions::default()).unwrap();
    assert_eq!(t.report.format, Some(Format::AccessLog));
    assert_eq!(t.trace.requests, vec![19.0, 15.0, 6.0]);
    assert_eq!(format_timestamp(t.trace.start), "1995-07-01T04:00:00Z");
    let report = t.report.to_string();
    assert!(report.contains("1 malformed line skipped"), "{report}");
    assert!(
        report.contains("line 18: garbled line without a time"),
        "{report}"
    );
}

#[test]
fn an_access_log_at_fifteen_seconds_equals_an_independent_binning() {
    // The binning done here on its own: each line's time read with chrono's strptime
    // format, floored to its 15-second bin of the epoch, counted, zeros between.
    use std::io::Read;
    let mut log = String::new();
    flate2::read::GzDecoder::new(&bytes("access_log.gz")[..])
        .read_to_string(&mut log)
        .unwrap();
    let bins: Vec<i64> = log
        .lines()
        .filter_map(|l| {
            let (open, close) = (l.find('[')?, l.find(']')?);
            chrono::DateTime::parse_from_str(&l[open + 1..close], "%d/%b/%Y:%H:%M:%S %z").ok()
        })
        .map(|t| t.timestamp().div_euclid(15))
        .collect();
    let (first, last) = (*bins.iter().min().unwrap(), *bins.iter().max().unwrap());
    let mut want = vec![0.0; (last - first + 1) as usize];
    for b in &bins {
        want[(b - first) as usize] += 1.0;
    }
    let opts = ImportOptions {
        step_seconds: Some(15),
        ..ImportOptions::default()
    };
    let t = read(&[bytes("access_log.gz")], &opts).unwrap();
    assert_eq!(t.trace.step_seconds, 15);
    assert_eq!(t.trace.start.timestamp(), first * 15);
    assert_eq!(t.trace.requests, want);
    // 40 requests over 3 minutes (the minute bins above: 19, 15, 6).
    assert_eq!(want.iter().sum::<f64>(), 40.0);
    assert!(want.len() > 3);
}

#[test]
fn a_per_request_csv_counts_rows_or_sums_a_weight() {
    // 25 requests with 7-digit fractional seconds from 2023-11-16 18:15.
    let t = read(&[bytes("requests_llm.csv")], &ImportOptions::default()).unwrap();
    assert_eq!(t.report.format, Some(Format::Requests), "{}", t.report);
    assert_eq!(t.trace.requests, vec![14.0, 9.0, 2.0]);
    assert_eq!(format_timestamp(t.trace.start), "2023-11-16T18:15:00Z");
    let tokens = ImportOptions {
        format: Format::Requests,
        weight_column: Some("GeneratedTokens".into()),
        ..ImportOptions::default()
    };
    let t = read(&[bytes("requests_llm.csv")], &tokens).unwrap();
    assert_eq!(t.trace.requests, vec![5216.0, 2374.0, 841.0]);
}

#[test]
fn azure_functions_day_files_pick_the_busiest_app() {
    // Three apps over two day files: app2bb has 55.9 % of the invocations; its first
    // minutes are 1, 10, 19 on day 1 and 2, 11, 20 on day 2.
    let days = [
        bytes("azure_functions_d01.csv"),
        bytes("azure_functions_d02.csv"),
    ];
    let t = read(&days, &ImportOptions::default()).unwrap();
    assert_eq!(t.report.format, Some(Format::AzureFunctions));
    assert_eq!(t.trace.len(), 2 * 1440);
    assert_eq!(t.trace.requests[..3], [1.0, 10.0, 19.0]);
    assert_eq!(t.trace.requests[1440..1443], [2.0, 11.0, 20.0]);
    assert_eq!(format_timestamp(t.trace.start), "2019-07-15T00:00:00Z");
    let report = t.report.to_string();
    assert!(
        report.contains("app app2bbhash (the busiest of 3 apps: 55.9 %"),
        "{report}"
    );
    // One function by its hash prefix: f4 of app3cc, 2 × (minute mod 7) + day.
    let f4 = ImportOptions {
        function: Some("f4".into()),
        ..ImportOptions::default()
    };
    let t = read(&days, &f4).unwrap();
    assert_eq!(t.trace.requests[..3], [1.0, 3.0, 5.0]);
}

#[test]
fn epoch_seconds_and_milliseconds_are_told_apart() {
    let secs = "timestamp,requests\n1767225600,3\n1767225660,4\n";
    let ms = "timestamp,requests\n1767225600000,3\n1767225660000,4\n";
    for text in [secs, ms] {
        let t = parse_csv(text.as_bytes(), &ImportOptions::default()).unwrap();
        assert_eq!(format_timestamp(t.trace.start), "2026-01-01T00:00:00Z");
        assert_eq!(t.trace.requests, vec![3.0, 4.0]);
    }
    let t = parse_csv(ms.as_bytes(), &ImportOptions::default()).unwrap();
    assert!(t.report.to_string().contains("Unix epoch milliseconds"));
    // A per-second CSV summed into 1-minute steps (`--step 1m`): 2 minutes of 60 rows
    // each.
    let mut per_second = String::from("timestamp,requests\n");
    for k in 0..120 {
        per_second.push_str(&format!("{},{}\n", 1_767_225_600 + k, k % 3));
    }
    let minutes = ImportOptions {
        step_seconds: Some(60),
        ..ImportOptions::default()
    };
    let t = parse_csv(per_second.as_bytes(), &minutes).unwrap();
    assert_eq!(t.trace.step_seconds, 60);
    assert_eq!(t.trace.requests, vec![60.0, 60.0]);
    // Without --step it is read at its own step of 1 s.
    let t = parse_csv(per_second.as_bytes(), &ImportOptions::default()).unwrap();
    assert_eq!(t.trace.step_seconds, 1);
    assert_eq!(t.trace.len(), 120);
}
