//! `threshold`: a step is served when its requests fit the ready capacity; the excess is
//! dropped and nothing carries over (the model of earlier versions, kept to compare). Its
//! SLO counts minutes without a violation (`docs/experiment.md`, Serving).

use super::{Ledger, Server, ServingKind, SloMeasure, StepCluster, StepService};

/// The threshold rule ([`StepCluster::unserved`]).
pub(crate) struct ThresholdModel;

impl ServingKind for ThresholdModel {
    fn measure(&self) -> SloMeasure {
        SloMeasure::MinutesWithoutViolation
    }

    fn server(&self, cluster: &StepCluster, _accounted_from: usize) -> Box<dyn Server> {
        Box::new(ThresholdServer {
            ledger: Ledger::default(),
            cluster: *cluster,
        })
    }

    /// 1 when the step is served, 0 when not.
    fn share_from_empty(&self, cluster: &StepCluster, ready: u32, demand: f64) -> f64 {
        f64::from(u8::from(cluster.unserved(ready, demand) == 0.0))
    }

    /// Its capacity need ([`StepCluster::containers_for`]).
    fn need(&self, cluster: &StepCluster, demand: f64) -> u32 {
        cluster.clamp(cluster.containers_for(demand))
    }
}

/// The threshold rule has no state: what became of each step's requests, and the cluster
/// whose rule it applies.
#[derive(Debug)]
struct ThresholdServer {
    ledger: Ledger,
    cluster: StepCluster,
}

impl Server for ThresholdServer {
    fn serve(&mut self, ready: u32, arrivals: f64) -> StepService {
        let unserved = self.cluster.unserved(ready, arrivals);
        let ledger = &mut self.ledger;
        ledger.within.push(arrivals - unserved);
        ledger.dropped.push(unserved);
        ledger.missed.push(unserved);
        ledger.p99_s.push(f64::NAN);
        StepService {
            served: arrivals - unserved,
            backlog: 0.0,
            settled: (arrivals - unserved, unserved),
        }
    }

    fn finish(self: Box<Self>) -> Ledger {
        self.ledger
    }
}
