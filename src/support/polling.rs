//! Watching files by polling: a check every interval until shutdown. Used by
//! the policies file and the TLS files, which are re-read and compared by
//! content (robust with editors that rename and with Kubernetes' symlinked
//! secret mounts, where change notifications are unreliable).

use std::time::Duration;

use tokio::sync::watch;
use tokio::time::MissedTickBehavior;

/// Runs `check` every `interval`, the first time one interval from now,
/// until `stop` turns true. A late tick is not made up for.
pub async fn every_until_stopped(
    interval: Duration,
    mut stop: watch::Receiver<bool>,
    mut check: impl FnMut(),
) {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    ticks.tick().await;
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = stop.wait_for(|stop| *stop) => return,
        }
        check();
    }
}
