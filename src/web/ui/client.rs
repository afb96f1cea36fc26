//! The page's handle on the training worker: spawns it, sends commands, turns its messages into
//! page updates, and restarts it when it dies (a panic or a lost GPU aborts the worker's module).

use super::state::Page;
use crate::shared::files::NamedFile;
use crate::shared::page::{Effect, PageState};
use crate::shared::protocol::{self, Command, DeviceChoice, Event, Topic};
use js_sys::{Array, Uint8Array};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{ErrorEvent, MessageEvent, Worker};

/// The worker's first script (`static/worker-entry.js`): WebGPU adjustments for Burn, then trunk's
/// loader (`worker_loader.js`, written next to the page for `data-type="worker"`). Relative, so the
/// page works under any path it is hosted at.
const WORKER_SCRIPT: &str = "./worker-entry.js";

/// A callback handed to the worker object.
type Callback = Closure<dyn FnMut(JsValue)>;

/// Runs the effects of the trainer's messages other than sending a command.
type EffectRunner = Rc<dyn Fn(Effect)>;

struct Inner {
    page: Page,
    worker: RefCell<Option<Worker>>,
    /// Commands waiting for the worker to listen (its first message): a worker drops messages
    /// that arrive before its handler is installed, i.e. while its module is still loading.
    waiting: RefCell<Option<Vec<Outgoing>>>,
    device: Cell<DeviceChoice>,
    /// The files of the current dataset, sent again to a restarted worker.
    data: RefCell<Option<Rc<Vec<NamedFile>>>>,
    /// Files sent but not yet accepted: they become `data` when the worker reads them as a
    /// dataset (a refused file must not replace the data a restart sends again).
    offered: RefCell<Option<Rc<Vec<NamedFile>>>>,
    /// The trainer's messages so far, shown on `#app[data-heard]`: while the count moves, the
    /// trainer is alive and working, however slowly (the browser tests wait on it, not the clock).
    heard: Cell<u64>,
    /// Keeps the worker's callbacks alive.
    callbacks: RefCell<Vec<Callback>>,
    /// Runs the effects of the trainer's messages other than sending a command (downloads, the
    /// store, the form): see [`Client::on_effect`].
    effects: RefCell<Option<EffectRunner>>,
}

/// A command, with a model file's bytes to send beside it ([`Client::send_beside`]).
type Outgoing = (Command, Option<Uint8Array>);

/// A cheap, clonable handle (all clones talk to the same worker).
#[derive(Clone)]
pub struct Client(Rc<Inner>);

impl Client {
    pub fn new(page: Page, device: DeviceChoice) -> Self {
        let c = Client(Rc::new(Inner {
            page,
            worker: RefCell::new(None),
            waiting: RefCell::new(None),
            device: Cell::new(device),
            data: RefCell::new(None),
            offered: RefCell::new(None),
            heard: Cell::new(0),
            callbacks: RefCell::new(Vec::new()),
            effects: RefCell::new(None),
        }));
        c.spawn();
        c
    }

    pub fn device(&self) -> DeviceChoice {
        self.0.device.get()
    }

    fn spawn(&self) {
        let page = self.0.page;
        let worker = match Worker::new(WORKER_SCRIPT) {
            Ok(w) => w,
            Err(e) => {
                page.update(|s| {
                    s.busy = None;
                    s.errors.run = Some(format!("The trainer cannot start: this browser refused its Web Worker ({e:?})."));
                });
                return;
            }
        };
        let me = self.clone();
        let on_message = Callback::new(move |m: JsValue| {
            let Ok(m) = m.dyn_into::<MessageEvent>() else { return };
            // A checkpoint comes beside its message (`[event, bytes]`) and stays a JavaScript
            // buffer (`held.rs`).
            let (message, beside) = match m.data().dyn_into::<Array>() {
                Ok(parts) => (parts.get(0), Some(Uint8Array::new(&parts.get(1)))),
                Err(data) => (data, None),
            };
            let message = Uint8Array::new(&message);
            let bytes = message.to_vec();
            // Transferred here and copied into the heap: freed now, not at the page's next collection.
            crate::web::free(&message.buffer());
            me.heard();
            match (protocol::decode::<Event>(&bytes), beside) {
                (Ok(Event::Saved { file_name, epoch, autosave, .. }), Some(beside)) => {
                    let bytes = super::held::hold(beside);
                    me.saved(crate::shared::page::SavedModel { file_name, epoch, bytes }, autosave);
                }
                (Ok(Event::Listening), _) => me.flush(),
                (Ok(Event::Fatal(message)), _) => me.restart(&message),
                (Ok(Event::GpuFailed(message)), _) => me.gpu_failed(&message),
                (Ok(Event::OutOfMemory(oom)), _) => me.replace(None, |s| s.out_of_memory(oom)),
                (Ok(event), _) => {
                    match &event {
                        Event::DataLoaded(_) => {
                            if let Some(files) = me.0.offered.borrow_mut().take() {
                                *me.0.data.borrow_mut() = Some(files);
                            }
                        }
                        Event::Error { topic: Topic::Data, .. } => *me.0.offered.borrow_mut() = None,
                        _ => {}
                    }
                    me.deliver(event)
                }
                (Err(e), _) => page.update(|s| s.errors.run = Some(format!("unreadable message from the trainer: {e}"))),
            }
        });
        let me = self.clone();
        let on_error = Callback::new(move |e: JsValue| {
            let message = e.dyn_ref::<ErrorEvent>().map(|e| e.message()).unwrap_or_else(|| "the worker failed".into());
            me.restart(&message);
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        *self.0.callbacks.borrow_mut() = vec![on_message, on_error];
        *self.0.worker.borrow_mut() = Some(worker);
        page.update(|s| s.busy = Some("starting the trainer…".into()));
        // First the device, then the current data, then whatever was asked meanwhile.
        let mut first = vec![(Command::Init { device: self.0.device.get(), measured: super::remembered::load() }, None)];
        if let Some(files) = self.0.data.borrow().clone() {
            first.push((Command::LoadData { files: files.to_vec() }, None));
        }
        let mut waiting = self.0.waiting.borrow_mut();
        first.extend(waiting.take().unwrap_or_default());
        *waiting = Some(first);
    }

    /// The worker died: report it, and start a fresh one on the same device and data.
    fn restart(&self, message: &str) {
        self.replace(None, |s| s.crashed(message));
    }

    /// The GPU failed under the trainer: a fresh one on the CPU, where the page continues the run
    /// by itself (`PageState::gpu_failed`). The device control then reads CPU.
    fn gpu_failed(&self, message: &str) {
        self.replace(Some(DeviceChoice::Cpu), |s| s.gpu_failed(message));
    }

    /// End a failed worker and start a fresh one (on `device`, if given), once the page has taken
    /// in the failure with `tell`. Once per failure: a panic posts Fatal and then also raises the
    /// worker's error event, a lost device may be followed by errors and a panic.
    fn replace(&self, device: Option<DeviceChoice>, tell: impl FnOnce(&mut PageState)) {
        if self.0.worker.borrow().is_none() {
            return;
        }
        if let Some(d) = device {
            self.0.device.set(d);
        }
        self.0.page.update(tell);
        self.stop();
        let me = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            crate::web::yield_now().await;
            me.spawn();
        });
    }

    /// End the worker; commands wait for the next one.
    fn stop(&self) {
        if let Some(w) = self.0.worker.borrow_mut().take() {
            w.terminate();
        }
        self.0.waiting.borrow_mut().get_or_insert_with(Vec::new);
    }

    /// Start over on another device (its runtime can only start once per worker).
    pub fn switch_device(&self, device: DeviceChoice) {
        self.0.device.set(device);
        self.stop();
        self.0.page.update(PageState::switch_device);
        self.spawn();
    }

    /// Use these files as the dataset (kept to re-send after a restart).
    pub fn load(&self, files: Vec<NamedFile>) {
        self.0.page.update(|s| s.busy = Some("reading the data…".into()));
        self.send(&Command::LoadData { files: files.clone() });
        let files = Some(Rc::new(files));
        // The first data (the bundled set, before any worker answered) is the restart's data at once.
        if self.0.data.borrow().is_none() {
            *self.0.data.borrow_mut() = files.clone();
        }
        *self.0.offered.borrow_mut() = files;
    }

    /// Who runs the effects of the trainer's messages (all but [`Effect::Send`], which the
    /// client runs itself).
    pub fn on_effect(&self, run: impl Fn(Effect) + 'static) {
        *self.0.effects.borrow_mut() = Some(Rc::new(run));
    }

    /// Run effects: send commands, hand the rest to [`Client::on_effect`]'s handler.
    pub fn run(&self, effects: Vec<Effect>) {
        let handler = self.0.effects.borrow().clone();
        for effect in effects {
            match (effect, &handler) {
                (Effect::Send(command), _) => self.send(&command),
                // Slow motion's rest between phases, then the next phase if it still plays.
                (Effect::SlowTick(ms, rest), _) => {
                    let client = self.clone();
                    gloo_timers::callback::Timeout::new(ms.clamp(0.0, 60_000.0) as u32, move || {
                        let next = client.0.page.update(|s| s.slow_tick(rest));
                        client.run(next);
                    })
                    .forget();
                }
                (other, Some(run)) => run(other),
                (_, None) => {}
            }
        }
    }

    /// A checkpoint from the trainer, its bytes held outside the heap: a new autosave lets the
    /// previous one go.
    fn saved(&self, saved: crate::shared::page::SavedModel, autosave: bool) {
        let before = self.0.page.peek(|s| s.autosave.as_ref().map(|a| a.bytes.clone()));
        let effect = self.0.page.update(|s| s.saved(saved, autosave));
        if autosave && let Some(old) = before {
            super::held::release(&old);
        }
        self.run(vec![effect]);
    }

    /// A message from the trainer: the page's state takes it in, then its effects run.
    fn deliver(&self, event: Event) {
        let now = web_sys::window().and_then(|w| w.performance()).map(|p| p.now());
        let effects = self.0.page.update(|s| s.apply(event, now));
        self.run(effects);
    }

    /// Count one more message from the trainer on `#app[data-heard]`.
    fn heard(&self) {
        let n = self.0.heard.get() + 1;
        self.0.heard.set(n);
        if let Some(app) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id("app")) {
            let _ = app.set_attribute("data-heard", &n.to_string());
        }
    }

    /// The worker listens: send what waited.
    fn flush(&self) {
        let waiting = self.0.waiting.borrow_mut().take().unwrap_or_default();
        for (c, file) in waiting {
            self.post(&c, file);
        }
    }

    pub fn send(&self, command: &Command) {
        self.post(command, None);
    }

    /// Send a command with a model file's bytes beside it (`[command, bytes]`), never through the
    /// page's heap. The worker gets a copy of its own (transferred), made here: the caller's bytes
    /// stay theirs — a held checkpoint stays held, and fetched bytes may be freed at once. The
    /// worker puts them into the command's file.
    pub fn send_beside(&self, command: &Command, file: Option<&Uint8Array>) {
        self.post(command, file.map(|f| f.slice(0, f.length())));
    }

    /// [`Self::send_beside`] giving the bytes away (a whole buffer the caller no longer needs,
    /// fetched bytes): transferred as they are, no copy; the caller's array is detached.
    pub fn give_beside(&self, command: &Command, file: Uint8Array) {
        self.post(command, Some(file));
    }

    /// Post `command` with `file` (the worker's own copy) transferred beside it, or keep both
    /// until the worker listens.
    fn post(&self, command: &Command, file: Option<Uint8Array>) {
        if let Some(waiting) = self.0.waiting.borrow_mut().as_mut() {
            waiting.push((command.clone(), file));
            return;
        }
        let bytes = Uint8Array::from(&protocol::encode(command)[..]);
        let (message, transfer): (JsValue, Array) = match file {
            Some(copy) => (Array::of2(&bytes, &copy).into(), Array::of2(&bytes.buffer(), &copy.buffer())),
            None => (bytes.clone().into(), Array::of1(&bytes.buffer())),
        };
        let sent = match self.0.worker.borrow().as_ref() {
            Some(w) => w.post_message_with_transfer(&message, &transfer).map_err(|e| format!("{e:?}")),
            None => Err("the trainer is not running".into()),
        };
        if let Err(e) = sent {
            self.deliver(Event::Error { topic: Topic::Run, message: format!("cannot reach the trainer: {e}") });
        }
    }
}
