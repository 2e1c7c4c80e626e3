//! Round trips shared by concurrent callers: calls that arrive while one
//! round trip is out wait and go together in the next. Under load a node
//! then sends one call to a server for several requests, where it sent
//! one each (each a round trip for the node and system calls for the
//! server); a call alone waits only for its own round trip.

use std::future::Future;

use tokio::sync::{mpsc, oneshot};

use crate::domain::{Error, Result};

type Request<Req, Resp> = (Req, oneshot::Sender<Result<Resp>>);

pub struct Lane<Req, Resp> {
    sender: mpsc::UnboundedSender<Request<Req, Resp>>,
    name: &'static str,
}

impl<Req: Send + 'static, Resp: Send + 'static> Lane<Req, Resp> {
    /// Starts the lane's task; `run` takes the requests gathered (at most
    /// `max_batch`) and answers each, in their order. `name` says whose
    /// lane it is, in the error of a lane that stopped. The task ends when
    /// the lane is dropped, after answering what it was sent.
    pub fn start<F, Fut>(name: &'static str, max_batch: usize, run: F) -> Self
    where
        F: Fn(Vec<Req>) -> Fut + Send + 'static,
        Fut: Future<Output = Vec<Result<Resp>>> + Send,
    {
        let (sender, mut receiver) = mpsc::unbounded_channel::<Request<Req, Resp>>();
        tokio::spawn(async move {
            while let Some(first) = receiver.recv().await {
                let mut requests = Vec::with_capacity(max_batch);
                let mut replies = Vec::with_capacity(max_batch);
                requests.push(first.0);
                replies.push(first.1);
                while requests.len() < max_batch {
                    let Ok((request, reply)) = receiver.try_recv() else {
                        break;
                    };
                    requests.push(request);
                    replies.push(reply);
                }
                let answers = run(requests).await;
                debug_assert_eq!(answers.len(), replies.len(), "one answer per request");
                for (reply, answer) in replies.into_iter().zip(answers) {
                    let _ = reply.send(answer);
                }
            }
        });
        Self { sender, name }
    }

    /// Sends `request` with the next round trip and waits for its answer.
    /// A caller that stops waiting does not take the request back: it is
    /// sent all the same.
    pub async fn call(&self, request: Req) -> Result<Resp> {
        let (reply, answer) = oneshot::channel();
        self.sender
            .send((request, reply))
            .map_err(|_| stopped(self.name))?;
        answer.await.map_err(|_| stopped(self.name))?
    }
}

/// The same answer for every request of a batch: a failed call fails each
/// of them.
pub fn each<T: Clone>(count: usize, answer: Result<T>) -> Vec<Result<T>> {
    vec![answer; count]
}

/// A reply's list of answers, one per request, in order; a failed call,
/// or a list of another length, fails each request.
pub fn one_each<T: Clone>(count: usize, answers: Result<Vec<T>>) -> Vec<Result<T>> {
    match answers {
        Ok(answers) if answers.len() == count => answers.into_iter().map(Ok).collect(),
        Ok(answers) => each(
            count,
            Err(Error::internal(format!(
                "a reply held {} answers for {count} requests",
                answers.len()
            ))),
        ),
        Err(e) => each(count, Err(e)),
    }
}

fn stopped(name: &str) -> Error {
    Error::unavailable(format!("{name}: stopped"))
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use super::*;

    /// While one round trip is out, the calls that arrive wait and go
    /// together in the next, each answered with its own result.
    #[tokio::test]
    async fn calls_made_during_a_round_trip_go_together_in_the_next() {
        let batches = Arc::new(Mutex::new(Vec::new()));
        let seen = batches.clone();
        let lane = Arc::new(Lane::start("test", 100, move |numbers: Vec<u32>| {
            seen.lock().unwrap().push(numbers.len());
            async move {
                tokio::time::sleep(Duration::from_millis(50)).await;
                numbers.into_iter().map(|n| Ok(n * 10)).collect()
            }
        }));
        let first = tokio::spawn({
            let lane = lane.clone();
            async move { lane.call(1).await }
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        let later: Vec<_> = (2..=6)
            .map(|n| {
                let lane = lane.clone();
                tokio::spawn(async move { lane.call(n).await })
            })
            .collect();
        assert_eq!(first.await.unwrap().unwrap(), 10);
        for (n, call) in (2..=6).zip(later) {
            assert_eq!(call.await.unwrap().unwrap(), n * 10);
        }
        assert_eq!(*batches.lock().unwrap(), vec![1, 5]);
    }

    #[tokio::test]
    async fn a_failed_round_trip_fails_every_call_in_it() {
        let lane = Lane::start("test", 100, |numbers: Vec<u32>| async move {
            each(numbers.len(), Err(Error::unavailable("the server is down")))
        });
        let failed: Result<()> = lane.call(1).await;
        assert_eq!(failed.unwrap_err().message(), "the server is down");
    }
}
