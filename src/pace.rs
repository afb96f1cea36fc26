//! Long work in slices. The browser's training worker is one thread: a probe or an evaluation that
//! computes for seconds without letting the worker's event loop run would leave the page's
//! commands unread (a dropped file unanswered) until it ends. Long loops of the core call
//! [`breathe`] between slices (a chunk of images encoded, a probe epoch, a few optimizer steps);
//! where the host has installed a way to yield ([`set_yield`]: the worker's macrotask, every
//! [`SLICE`]), `breathe` yields once at least a slice of work has passed since the last yield, so
//! the page is heard within about a slice. Natively nothing is installed and `breathe` returns at
//! once.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::time::Duration;
use web_time::Instant;

/// The worker's longest stretch of work between two yields (when a slice's own work is shorter): short
/// enough that a command is read well within a second, long enough that yielding (a few
/// milliseconds for a browser's macrotask) costs a few percent at most.
pub const SLICE: Duration = Duration::from_millis(100);

type Yield = Rc<dyn Fn() -> Pin<Box<dyn Future<Output = ()>>>>;

thread_local! {
    static YIELD: RefCell<Option<(Duration, Yield)>> = const { RefCell::new(None) };
    static LAST: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// Install the host's yield, taken after every `slice` of work (the worker does, once, before it
/// serves the page; a test may yield at every slice with `Duration::ZERO`).
pub fn set_yield(slice: Duration, f: impl Fn() -> Pin<Box<dyn Future<Output = ()>>> + 'static) {
    YIELD.with(|y| *y.borrow_mut() = Some((slice, Rc::new(f))));
}

/// Between two slices of long work: yield to the host when a slice's worth of time has passed.
pub async fn breathe() {
    let Some((slice, yield_now)) = YIELD.with(|y| y.borrow().clone()) else { return };
    let due = LAST.with(|l| l.get().is_none_or(|t| t.elapsed() >= slice));
    if due {
        yield_now().await;
        rested();
    }
}

/// The host's event loop has just run (the serve loop yields between iterations): the next
/// slice is measured from now.
pub fn rested() {
    LAST.with(|l| l.set(Some(Instant::now())));
}
