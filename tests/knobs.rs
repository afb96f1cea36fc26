//! The knobs that act mid-run (phase weights W, N, R, ε, REM's memory mix, the learning rate):
//! presets ↔ knobs in the form and the URL, a change applied at the next iteration, recorded in
//! the run's history and its checkpoint, and refused when it cannot work.

mod common;

use pad::data::upload::NamedFile;
use pad::readback::block_on;
use pad::session::Session;
use pad::session::protocol::{Command, Event, RunState, Topic};
use pad::session::settings::{Field, Form, Settings};
use pad::session::url::PageParams;
use pad::shared::config::RemInput;
use pad::shared::knobs::Knobs;
use pad::shared::page::PageState;
use pad::train::{Losses, Variant, checkpoint};

fn mnist() -> NamedFile {
    NamedFile::new("mnist.padb", std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/static/data/mnist.padb")).unwrap())
}

fn settings() -> Settings {
    Settings { epochs: 1, batch_size: 8, images_per_epoch: 64, probe: false, ..Settings::default() }
}

/// Run `command` on `session`, returning what it said.
fn say(session: &mut Session, command: Command) -> Vec<Event> {
    let mut events = Vec::new();
    block_on(session.handle(command, &mut |e| events.push(e)));
    events
}

/// A session with the bundled MNIST and a paused run of [`settings`].
fn paused_run() -> Session {
    let mut s = Session::new(common::cpu());
    say(&mut s, Command::LoadData { files: vec![mnist()] });
    say(&mut s, Command::Start { settings: settings(), paused: true });
    s
}

fn step(session: &mut Session) -> Losses<f32> {
    let events = say(session, Command::Step);
    events.into_iter().find_map(|e| if let Event::Progress(p) = e { Some(p.losses) } else { None }).expect("a step reports its losses")
}

#[test]
fn a_knob_turned_mid_run_acts_at_the_next_iteration_and_is_kept_in_the_checkpoint() {
    let (mut turned, mut twin) = (paused_run(), paused_run());
    for _ in 0..2 {
        assert_eq!(step(&mut turned), step(&mut twin), "same seed, same run");
    }
    // Wake noise ε 0 → 2 and REM off, after two iterations.
    let before = settings().knobs();
    let after = Knobs { weights: pad::shared::config::PhaseWeights { wake_noise_std: 2.0, rem: 0.0, ..before.weights }, ..before };
    let events = say(&mut turned, Command::Tune(after));
    let [Event::Tuned(change)] = &events[..] else { panic!("{events:?}") };
    assert_eq!((change.iteration, change.epoch, change.before, change.after), (2, 1, before, after));
    assert_eq!(change.describe(), "from iteration 3: R 1 → 0, ε 0 → 2");
    // The same knobs again change nothing.
    assert!(say(&mut turned, Command::Tune(after)).is_empty());
    // The next iteration: the reconstruction sees noisy latents (L_img moves); L_KL acts on the
    // clean latents of the same weights (equal).
    let (a, b) = (step(&mut turned), step(&mut twin));
    assert_ne!(a.img, b.img);
    assert_eq!(a.kl, b.kl);
    // The learning rate too, and knobs that cannot work are refused with the field's range.
    let faster = Knobs { learning_rate: 1e-3, ..after };
    assert!(
        matches!(&say(&mut turned, Command::Tune(faster))[..], [Event::Tuned(c)] if c.describe() == "from iteration 4: lr 0.0002 → 0.001")
    );
    let bad = Knobs { weights: pad::shared::config::PhaseWeights { wake: -1.0, ..after.weights }, ..after };
    let events = say(&mut turned, Command::Tune(bad));
    assert!(
        matches!(&events[..], [Event::Error { topic: Topic::Settings, message }] if message.contains("W must be a number from 0 to 100")),
        "{events:?}"
    );
    // Saved: the checkpoint's header has both changes and the knobs as they are now.
    let bytes = say(&mut turned, Command::Save)
        .into_iter()
        .find_map(|e| if let Event::Saved { bytes, .. } = e { Some(bytes) } else { None })
        .unwrap();
    let header = checkpoint::read_header(&bytes).unwrap();
    assert_eq!(header.changes.iter().map(|c| c.iteration).collect::<Vec<_>>(), vec![2, 3]);
    assert_eq!(header.config.knobs(), faster);
    assert_eq!(header.config.label(), "PAD, W 1 N 1 R 0 ε 2");
    // Loaded: the form takes the knobs, the page gets the changes again.
    let mut loaded = Session::new(common::cpu());
    say(&mut loaded, Command::LoadData { files: vec![mnist()] });
    let events = say(&mut loaded, Command::LoadModel { file: NamedFile::new("run.padckpt", bytes), settings: settings(), batch: None });
    let Some(Event::ModelLoaded { settings: s, changes, .. }) = events.iter().find(|e| matches!(e, Event::ModelLoaded { .. })) else {
        panic!("{events:?}")
    };
    assert_eq!(s.knobs(), faster);
    assert_eq!(changes, &header.changes, "the loaded run's marks, not new changes");
    assert!(!events.iter().any(|e| matches!(e, Event::Tuned(_))));
    // Without a run, there is nothing to tune (the next Start brings its settings).
    let mut idle = Session::new(common::cpu());
    assert!(say(&mut idle, Command::Tune(after)).is_empty());
}

#[test]
fn a_knob_turned_between_epochs_is_marked_where_the_next_epoch_starts() {
    let mut s = paused_run();
    for _ in 0..8 {
        step(&mut s); // 64 images in batches of 8: one epoch
    }
    let knobs = Knobs { learning_rate: 1e-3, ..settings().knobs() };
    let events = say(&mut s, Command::Tune(knobs));
    assert!(matches!(&events[..], [Event::Tuned(c)] if (c.iteration, c.epoch) == (8, 2)), "{events:?}");
}

#[test]
fn the_variants_are_presets_of_the_knobs() {
    let mut form = Form::from(&Settings::default());
    assert!(!form.custom());
    form.choose_variant(Variant::NoRem);
    let s = form.parse(None).unwrap();
    assert_eq!((s.variant, s.weights()), (Variant::NoRem, Variant::NoRem.weights()));
    assert_eq!(s.train_config().weights, None, "a preset trains as its variant");
    assert!(!form.custom());
    // Touching a knob makes the run custom; the same value in another spelling does not.
    form.set_text(Field::NremWeight, "0.50");
    assert!(!form.custom());
    form.set_text(Field::NremWeight, "1");
    assert!(form.custom());
    let s = form.parse(None).unwrap();
    assert_eq!(s.train_config().label(), "w/o REM, W 1 N 1 R 0 ε 0.5");
    // Choosing a variant again sets all its weights.
    form.choose_variant(Variant::NoMemoryMix);
    let s = form.parse(None).unwrap();
    assert_eq!(s.weights().rem_input, RemInput::SingleMemory);
    assert!(!form.custom());
    for v in Variant::ALL {
        form.choose_variant(v);
        assert_eq!(form.parse(None).unwrap().weights(), v.weights(), "{v}");
    }
}

#[test]
fn the_share_link_carries_the_knobs_that_differ_from_the_preset() {
    // A variant alone means its preset's weights.
    let p = PageParams::parse("variant=no-rem");
    assert_eq!(p.form.parse(None).unwrap().weights(), Variant::NoRem.weights());
    assert_eq!(p.to_query(), "variant=no-rem");
    // The official README's "w/o REM" (W 1 N 1 R 0 ε 0): the link keeps what differs.
    let p = PageParams::parse("variant=no-rem&w=1&n=1&r=0&epsilon=0");
    assert!(p.notes.is_empty(), "{:?}", p.notes);
    assert!(p.form.custom());
    assert_eq!(p.to_query(), "variant=no-rem&n=1&epsilon=0");
    assert_eq!(PageParams::parse(&p.to_query()).form, p.form);
    // A bad weight falls back to the variant's preset, with a note.
    let p = PageParams::parse("variant=wake-only&epsilon=-3");
    assert_eq!(p.form.parse(None).unwrap().weights(), Variant::WakeOnly.weights());
    assert_eq!(p.notes, vec!["epsilon '-3': ε must be a number from 0 to 100; using the default"]);
}

#[test]
fn the_page_keeps_the_changes_for_the_loss_plot_until_the_run_is_cleared() {
    let mut page = PageState::default();
    let before = Settings::default().knobs();
    let after = Knobs { learning_rate: 1e-4, ..before };
    let change = pad::shared::knobs::KnobChange { iteration: 40, epoch: 1, before, after };
    page.apply(Event::State(RunState::Running), None);
    page.apply(Event::Tuned(change.clone()), None);
    assert_eq!(page.changes, vec![change]);
    assert_eq!(page.notice.as_deref(), Some("Knobs turned from iteration 41: lr 0.0002 → 0.0001."));
    page.clear_run();
    assert!(page.changes.is_empty());
}
