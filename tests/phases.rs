//! One brain state at a time: "Step Wake", "Step NREM", "Step REM" run only that phase, in order,
//! and give the same iteration as a whole step; slow motion plays them with a rest in between.

mod common;

use pad::data::upload::NamedFile;
use pad::readback::block_on;
use pad::session::Session;
use pad::session::protocol::{Command, Event, RunState, Topic};
use pad::session::settings::Settings;
use pad::shared::page::{Effect, PageState};
use pad::sleep::Phase;

fn paused_run() -> Session {
    let mut s = Session::new(common::cpu());
    let mnist = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/static/data/mnist.padb")).unwrap();
    say(&mut s, Command::LoadData { files: vec![NamedFile::new("mnist.padb", mnist)] });
    let settings = Settings { epochs: 1, batch_size: 8, images_per_epoch: 64, probe: false, ..Settings::default() };
    say(&mut s, Command::Start { settings, paused: true });
    s
}

fn say(session: &mut Session, command: Command) -> Vec<Event> {
    let mut events = Vec::new();
    block_on(session.handle(command, &mut |e| events.push(e)));
    events
}

fn phases(events: &[Event]) -> Vec<Phase> {
    events.iter().filter_map(|e| if let Event::Phase { phase, .. } = e { Some(*phase) } else { None }).collect()
}

fn progress(events: &[Event]) -> Vec<pad::session::protocol::Progress> {
    events.iter().filter_map(|e| if let Event::Progress(p) = e { Some(p.clone()) } else { None }).collect()
}

#[test]
fn each_phase_step_runs_only_that_phase_in_order() {
    let (mut stepped, mut whole) = (paused_run(), paused_run());
    // The phases run in order: NREM needs Wake's memory first.
    let events = say(&mut stepped, Command::StepPhase(Phase::Nrem));
    assert!(matches!(&events[..], [Event::Error { topic: Topic::Run, message }] if message.contains("next phase is Wake")), "{events:?}");
    // Wake alone: its three losses, nothing of NREM's or REM's, no iteration done.
    let events = say(&mut stepped, Command::StepPhase(Phase::Wake));
    assert_eq!(phases(&events), vec![Phase::Wake]);
    let Some(Event::PhaseStep { phase: Phase::Wake, losses, next: Phase::Nrem }) =
        events.iter().find(|e| matches!(e, Event::PhaseStep { .. }))
    else {
        panic!("{events:?}")
    };
    assert!(losses[..3].iter().all(Option::is_some) && losses[3..].iter().all(Option::is_none), "{losses:?}");
    let wake_losses = *losses;
    assert!(progress(&events).is_empty());
    // NREM alone: its loss.
    let events = say(&mut stepped, Command::StepPhase(Phase::Nrem));
    assert_eq!(phases(&events), vec![Phase::Nrem]);
    assert!(events.iter().any(|e| matches!(e, Event::PhaseStep { phase: Phase::Nrem, losses, next: Phase::Rem } if losses[3].is_some())));
    assert!(
        say(&mut stepped, Command::StepPhase(Phase::Wake))
            .iter()
            .any(|e| matches!(e, Event::Error { message, .. } if message.contains("next phase is REM")))
    );
    // REM closes the iteration: progress and pictures, as a whole step gives them.
    let events = say(&mut stepped, Command::StepPhase(Phase::Rem));
    assert_eq!(phases(&events), vec![Phase::Rem]);
    assert!(events.iter().any(|e| matches!(e, Event::PhaseStep { phase: Phase::Rem, next: Phase::Wake, .. })));
    assert!(events.iter().any(|e| matches!(e, Event::Images(s) if s.iteration == 1)));
    let one = progress(&events);
    let twin = progress(&say(&mut whole, Command::Step));
    assert_eq!((one[0].done, &one[0].losses), (1, &twin[0].losses), "phase by phase is the same iteration");
    assert_eq!(wake_losses[0], Some(twin[0].losses.img));
    // A whole step finishes an iteration under way, from where it is; so does running.
    say(&mut stepped, Command::StepPhase(Phase::Wake));
    let events = say(&mut stepped, Command::Step);
    assert_eq!(phases(&events), vec![Phase::Nrem, Phase::Rem]);
    assert_eq!(progress(&events)[0].losses, progress(&say(&mut whole, Command::Step))[0].losses);
    say(&mut stepped, Command::StepPhase(Phase::Wake));
    say(&mut stepped, Command::Resume);
    let events = say(&mut stepped, Command::Step);
    assert!(events.iter().any(|e| matches!(e, Event::Error { message, .. } if message.contains("pause before stepping"))));
    let mut events = Vec::new();
    block_on(stepped.advance(&mut |e| events.push(e)));
    assert_eq!(phases(&events), vec![Phase::Nrem, Phase::Rem]);
    assert_eq!(progress(&events)[0].done, 3);
}

#[test]
fn slow_motion_plays_one_phase_after_another_with_a_rest_and_stops_when_asked() {
    let mut page = PageState::default();
    page.apply(Event::State(RunState::Paused), None);
    page.slow.seconds = 0.5;
    assert_eq!(page.play_slowly(), vec![Effect::Send(Command::StepPhase(Phase::Wake))]);
    assert!(page.play_slowly().is_empty(), "already playing");
    // Each phase answered: a rest, then the next phase.
    let answered = |phase, next| Event::PhaseStep { phase, losses: [Some(0.5), Some(0.1), Some(0.7), None, None], next };
    assert_eq!(page.apply(answered(Phase::Wake, Phase::Nrem), None), vec![Effect::SlowTick(500.0, 1)]);
    assert_eq!((page.shown_phase, page.phase_losses[0]), (Phase::Wake, Some(0.5)));
    assert_eq!(page.slow_tick(1), vec![Effect::Send(Command::StepPhase(Phase::Nrem))]);
    assert!(page.slow_tick(1).is_empty(), "one step with the trainer at a time");
    // Out of sight while NREM runs: it stops; back, it plays on from NREM's answer, not twice.
    assert!(page.seen(false, true).is_empty());
    assert!(!page.slow.playing());
    assert!(page.seen(true, true).is_empty(), "NREM is still with the trainer");
    assert_eq!(page.apply(answered(Phase::Nrem, Phase::Rem), None), vec![Effect::SlowTick(500.0, 2)]);
    // Stopped and played again within a rest: the old rest's timer does nothing.
    page.slow.stop();
    assert_eq!(page.play_slowly(), vec![Effect::Send(Command::StepPhase(Phase::Rem))]);
    assert!(page.slow_tick(2).is_empty(), "a stale rest");
    // A refused step stops it (and nothing stays in flight).
    page.apply(Event::Error { topic: pad::session::protocol::Topic::Run, message: "no".into() }, None);
    assert!(!page.slow.playing());
    assert_eq!(page.step_phase(), vec![Effect::Send(Command::StepPhase(Phase::Rem))]);
    // A finished run ends it too.
    page.apply(answered(Phase::Rem, Phase::Wake), None);
    page.play_slowly();
    page.apply(Event::State(RunState::Finished), None);
    assert!(!page.slow.playing());
}
