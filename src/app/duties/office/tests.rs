use std::sync::Mutex;

use super::*;
use crate::adapters::store::memory::MemoryJobStore;
use crate::ports::MockLeadership;

/// A leadership whose term the test sets.
fn switch() -> (Arc<Mutex<Option<LeaderTerm>>>, Arc<dyn Leadership>) {
    let term = Arc::new(Mutex::new(None));
    let mut leadership = MockLeadership::new();
    let read = term.clone();
    leadership
        .expect_term()
        .returning(move || *read.lock().unwrap());
    (term, Arc::new(leadership))
}

#[tokio::test]
async fn each_term_opens_one_epoch_and_a_follower_gets_no_mandate() {
    let (term, leadership) = switch();
    let office = LeaderOffice::new(leadership, Arc::new(MemoryJobStore::new()));
    assert!(office.mandate().await.unwrap().is_none(), "not leading");

    *term.lock().unwrap() = Some(LeaderTerm(5));
    let first = office.mandate().await.unwrap().expect("leads");
    assert!(first.fresh && first.holds() && first.check().is_ok());
    let again = office.mandate().await.unwrap().expect("still leads");
    assert_eq!((again.epoch, again.fresh), (first.epoch, false));

    *term.lock().unwrap() = Some(LeaderTerm(6));
    let next = office.mandate().await.unwrap().expect("leads again");
    assert!(next.fresh && next.epoch > first.epoch);
    assert!(!first.holds(), "a mandate lasts only as long as its term");
    assert_eq!(
        first.check().unwrap_err().kind(),
        crate::domain::ErrorKind::Conflict
    );
}
