//! prescale: which autoscaling policy should you use, and what does it cost you?
//!
//! The pipeline: a [`trace`] (generated or imported) is split into train and test;
//! [`forecast`]ers are fitted on train and predict the test period at the decision
//! horizon; the [`sim`]ulator replays the test period minute by minute under each
//! [`policy`]; [`metrics`] and [`report`] turn the timelines into files and a table,
//! every cost read against the [`floor`].
//! [`app`] runs the stages; [`cli`] is the command line. The model behind them is
//! stated in `docs/experiment.md`.

pub mod app;
pub mod choice;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod experiment;
mod export;
pub mod fanout;
pub mod floor;
pub mod forecast;
mod hash;
pub mod hold;
pub mod interrupt;
pub mod live;
pub mod metrics;
mod plan;
pub mod policy;
mod progress;
mod recommend;
mod regression;
pub mod remote;
mod report;
mod results;
pub mod serving;
pub mod settings;
pub mod sim;
mod store;
mod sweep;
pub mod trace;
mod words;
