//! hyper's timer for HTTP/1.1 client connections, whose header read timeout asks for a new
//! timer at every request head and drops it once the head is read. With hyper-util's
//! `TokioTimer` each of them is a tokio `Sleep` inserted into the runtime's timer wheel and
//! removed again, under the wheel's lock. Here a dropped timer goes back to its data thread's
//! spares, still registered, and the next request head takes it: moving a registered timer's
//! deadline later (the deadlines only grow: now + the same timeout) is one atomic store.
//!
//! Each data thread runs one runtime for its whole life (see `server`), so a spare is always
//! reused on the runtime that made it. A spare that fires at its old deadline finds its new one
//! later and is put back in the wheel without waking anybody; one that fired while unused wakes
//! the task that last polled it once, which then polls and finds nothing to do.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use hyper::rt::{Sleep, Timer};

/// At most this many spare timers per data thread (a burst of new connections makes more).
const MAX_SPARES: usize = 256;

thread_local! {
    static SPARES: RefCell<Vec<Pin<Box<tokio::time::Sleep>>>> = const { RefCell::new(Vec::new()) };
}

/// A [`Timer`] reusing this thread's spare tokio timers.
#[derive(Clone, Copy, Debug, Default)]
pub struct SpareTimer;

impl Timer for SpareTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Sleep>> {
        self.sleep_until(Instant::now() + duration)
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn Sleep>> {
        let deadline = tokio::time::Instant::from_std(deadline);
        let sleep = match SPARES.with_borrow_mut(Vec::pop) {
            Some(mut sleep) => {
                sleep.as_mut().reset(deadline);
                sleep
            }
            None => Box::pin(tokio::time::sleep_until(deadline)),
        };
        Box::pin(SpareSleep(Some(sleep)))
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn Sleep>>, new_deadline: Instant) {
        *sleep = self.sleep_until(new_deadline);
    }
}

/// A timer lent to hyper; back to the spares when hyper drops it.
struct SpareSleep(Option<Pin<Box<tokio::time::Sleep>>>);

impl Future for SpareSleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match self.0.as_mut() {
            Some(sleep) => sleep.as_mut().poll(cx),
            None => Poll::Ready(()),
        }
    }
}

impl Sleep for SpareSleep {}

impl Drop for SpareSleep {
    fn drop(&mut self) {
        if let Some(sleep) = self.0.take() {
            // During the thread's exit the spares may be gone already: then it just drops.
            let _ = SPARES.try_with(|spares| {
                if let Ok(mut spares) = spares.try_borrow_mut()
                    && spares.len() < MAX_SPARES
                {
                    spares.push(sleep);
                }
            });
        }
    }
}
