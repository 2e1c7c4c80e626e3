//! The queue's lanes: claims, offers (leased at once or not), settled
//! leases and waiting counts made at once by many tasks of a node go to
//! Redis together, one script call for each gathering (see `lane`).

use std::future::Future;
use std::time::Duration;

use super::calls::{Calls, Claimer, entry_args, millis};
use super::scripts;
use crate::domain::{BackendId, FencingToken, JobId, Result};
use crate::ports::{Claim, QueueEntry};
use crate::support::lane::{Lane, each, one_each};

/// What a lease holder does with its lease, for the settle script.
pub(super) struct Settle {
    pub action: &'static str,
    pub job: JobId,
    pub token: FencingToken,
    pub lease: Duration,
}

/// A job to offer and lease at once, for an idle worker of this node.
pub(super) struct ClaimedOffer {
    pub entry: QueueEntry,
    pub lease: Duration,
}

/// Requests gathered into one script call at most: a script runs alone in
/// Redis, so this bounds how long one keeps others waiting.
const MAX_GATHERED: usize = 256;

pub(super) struct Lanes {
    pub claims: Lane<Claimer, Option<Claim>>,
    pub offers: Lane<Vec<QueueEntry>, ()>,
    /// The tokens of the leases taken, as Redis wrote them.
    pub claimed_offers: Lane<ClaimedOffer, Option<String>>,
    pub settles: Lane<Settle, i64>,
    pub counts: Lane<Option<BackendId>, u64>,
}

impl Lanes {
    /// Starts the lanes, each a task of its own.
    pub fn start(calls: &Calls) -> Self {
        let offers = lane(
            calls,
            "job queue (Redis): offers",
            |calls, batches: Vec<Vec<QueueEntry>>| async move {
                let args = batches
                    .iter()
                    .flatten()
                    .flat_map(entry_args)
                    .collect::<Vec<_>>();
                let added = calls
                    .run_repeatable::<i64>(&scripts::OFFER, &args, "offering")
                    .await;
                each(batches.len(), added.map(|_| ()))
            },
        );
        let claimed_offers = lane(
            calls,
            "job queue (Redis): offers leased at once",
            |calls, offers: Vec<ClaimedOffer>| async move {
                let mut args = Vec::with_capacity(offers.len() * 7);
                for offer in &offers {
                    args.push(millis(offer.lease).to_string());
                    args.extend(entry_args(&offer.entry));
                }
                let doing = "offering and claiming";
                let tokens = calls.run(&scripts::OFFER_CLAIMED, &args, doing).await;
                one_each(offers.len(), tokens)
            },
        );
        let settles = lane(
            calls,
            "job queue (Redis): lease endings",
            |calls, leases: Vec<Settle>| async move {
                let mut args = Vec::with_capacity(leases.len() * 4);
                for lease in &leases {
                    args.push(lease.action.to_owned());
                    args.push(lease.job.to_string());
                    args.push(lease.token.0.to_string());
                    args.push(millis(lease.lease).to_string());
                }
                let doing = match leases.as_slice() {
                    [one] => one.action,
                    _ => "settling leases",
                };
                let outcomes = calls.run(&scripts::SETTLE, &args, doing).await;
                one_each(leases.len(), outcomes)
            },
        );
        let counts = lane(
            calls,
            "job queue (Redis): counts",
            |calls, asked: Vec<Option<BackendId>>| async move {
                // An empty name asks for every backend's line.
                let args = asked
                    .iter()
                    .map(|backend| backend.as_ref().map_or("", BackendId::as_str).to_owned())
                    .collect::<Vec<_>>();
                let counts = calls
                    .run_repeatable(&scripts::WAITING, &args, "counting waiting jobs")
                    .await;
                one_each(asked.len(), counts)
            },
        );
        let claims = lane(
            calls,
            "job queue (Redis): claims",
            |calls, claimers: Vec<Claimer>| async move { calls.claim(&claimers).await },
        );
        Self {
            claims,
            offers,
            claimed_offers,
            settles,
            counts,
        }
    }
}

/// A lane whose gatherings `run` sends with script calls of its own.
fn lane<Req, Resp, F, Fut>(calls: &Calls, name: &'static str, run: F) -> Lane<Req, Resp>
where
    Req: Send + 'static,
    Resp: Send + 'static,
    F: Fn(Calls, Vec<Req>) -> Fut + Send + 'static,
    Fut: Future<Output = Vec<Result<Resp>>> + Send,
{
    let calls = calls.clone();
    Lane::start(name, MAX_GATHERED, move |requests| {
        run(calls.clone(), requests)
    })
}
