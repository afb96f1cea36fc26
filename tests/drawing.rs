//! Your own input: a drawing made an image as MNIST's digits were (scaled into the 20×20 box,
//! centred by mass in 28×28), and what the model makes of it — on the pretrained snapshot at once,
//! on a run, with its place on the latent map and the probe's class probabilities once an
//! evaluation or an epoch's probes exist.

mod common;

use pad::data::upload::NamedFile;
use pad::readback::block_on;
use pad::session::Session;
use pad::session::protocol::{Command, DrawnView, Event, Topic};
use pad::session::settings::Settings;
use pad::shared::drawing::{EXAMPLES, SIDE, fit_for, preprocess};
use pad::shared::page::{Effect, PageState};

/// A canvas of `w`×`h` with ink on the rectangle [x0, x1)×[y0, y1).
fn canvas(w: usize, h: usize, (x0, x1): (usize, usize), (y0, y1): (usize, usize)) -> Vec<f32> {
    (0..w * h).map(|i| if (x0..x1).contains(&(i % w)) && (y0..y1).contains(&(i / w)) { 1.0 } else { 0.0 }).collect()
}

/// The ink's bounding box (width, height) and centre of mass of a 28×28 image.
fn shape(img: &[u8]) -> ((usize, usize), (f64, f64)) {
    let inked: Vec<usize> = (0..img.len()).filter(|&i| img[i] > 12).collect();
    let xs = || inked.iter().map(|i| i % SIDE);
    let ys = || inked.iter().map(|i| i / SIDE);
    let size = (xs().max().unwrap() - xs().min().unwrap() + 1, ys().max().unwrap() - ys().min().unwrap() + 1);
    let mass: f64 = img.iter().map(|&v| v as f64).sum();
    let com = |f: fn(usize) -> usize| (0..img.len()).map(|i| (f(i) as f64 + 0.5) * img[i] as f64).sum::<f64>() / mass;
    (size, (com(|i| i % SIDE), com(|i| i / SIDE)))
}

#[test]
fn a_drawing_is_made_an_image_as_mnist_digits_were() {
    // A tall bar drawn in a corner of a wide canvas: scaled to 20 px high (aspect kept: 5 wide),
    // centred by mass.
    let img = preprocess(&canvas(300, 200, (10, 30), (20, 100)), 300, 200, 20).unwrap();
    assert_eq!(img.len(), SIDE * SIDE);
    let ((w, h), (cx, cy)) = shape(&img);
    assert_eq!((w, h), (5, 20));
    assert!((cx - 14.0).abs() <= 0.5 && (cy - 14.0).abs() <= 0.5, "centre of mass ({cx}, {cy})");
    assert_eq!(img.iter().max(), Some(&255), "solid ink stays full");
    // A small drawing grows to the box; Fashion-MNIST's items fill the field.
    let ((w, h), _) = shape(&preprocess(&canvas(100, 100, (40, 44), (40, 48)), 100, 100, 20).unwrap());
    assert_eq!((w, h), (10, 20));
    let ((w, h), _) = shape(&preprocess(&canvas(100, 100, (10, 90), (30, 70)), 100, 100, fit_for("Fashion-MNIST")).unwrap());
    assert_eq!((w, h), (28, 14));
    assert_eq!(fit_for("MNIST"), 20);
    // Half ink is grey; no ink is no drawing.
    let faint: Vec<f32> = canvas(50, 50, (10, 40), (10, 40)).iter().map(|v| v * 0.5).collect();
    assert_eq!(*preprocess(&faint, 50, 50, 20).unwrap().iter().max().unwrap(), 128);
    assert_eq!(preprocess(&vec![0.0; 64 * 64], 64, 64, 20), None);
    assert_eq!(preprocess(&vec![0.01; 64 * 64], 64, 64, 20), None, "background noise is not ink");
}

fn mnist() -> NamedFile {
    NamedFile::new("mnist.padb", std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/static/data/mnist.padb")).unwrap())
}

fn say(session: &mut Session, command: Command) -> Vec<Event> {
    let mut events = Vec::new();
    block_on(session.handle(command, &mut |e| events.push(e)));
    events
}

/// An example stroke rasterised on a 100×100 canvas (thick lines), made an image.
fn example(k: usize) -> Vec<u8> {
    let n = 100;
    let mut ink = vec![0f32; n * n];
    for stroke in EXAMPLES[k].1 {
        for pair in stroke.windows(2) {
            let ((x0, y0), (x1, y1)) = (pair[0], pair[1]);
            for t in 0..=200 {
                let t = t as f32 / 200.0;
                let (x, y) = (x0 + (x1 - x0) * t, y0 + (y1 - y0) * t);
                for dy in -4i32..=4 {
                    for dx in -4i32..=4 {
                        let (px, py) = ((x * n as f32) as i32 + dx, (y * n as f32) as i32 + dy);
                        if (0..n as i32).contains(&px) && (0..n as i32).contains(&py) {
                            ink[py as usize * n + px as usize] = 1.0;
                        }
                    }
                }
            }
        }
    }
    preprocess(&ink, n, n, 20).unwrap()
}

fn drawn(events: &[Event]) -> &DrawnView {
    events.iter().find_map(|e| if let Event::Drawn(v) = e { Some(v) } else { None }).unwrap_or_else(|| panic!("{events:?}"))
}

#[test]
fn the_model_shows_what_it_makes_of_a_drawing() {
    let mut s = Session::new(common::cpu());
    // Nothing to draw on before a model exists; a malformed drawing is refused.
    say(&mut s, Command::LoadData { files: vec![mnist()] });
    let events = say(&mut s, Command::Drawn { pixels: example(0) });
    assert!(
        matches!(&events[..], [Event::Error { topic: Topic::Drawing, message }] if message.contains("drawing needs a model")),
        "{events:?}"
    );
    // The pretrained snapshot answers at once: pictures, no map or probe yet.
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/static/pretrained/mnist-pad.padckpt");
    say(&mut s, Command::Pretrained { file: NamedFile::new("mnist-pad.padckpt", std::fs::read(path).unwrap()) });
    let one = drawn(&say(&mut s, Command::Drawn { pixels: example(0) })).clone();
    for h in [&one.input, &one.reconstruction, &one.occluded, &one.seen] {
        assert_eq!((h.count, h.channels, h.side, h.pixels.len()), (1, 1, 32, 1024));
    }
    assert_eq!((one.place, &one.probabilities, one.probe_epoch), (None, &None, None));
    assert_ne!(one.input.pixels, one.occluded.pixels, "30 % of the tiles occluded");
    let seven = drawn(&say(&mut s, Command::Drawn { pixels: example(1) })).clone();
    assert_ne!(one.reconstruction.pixels, seven.reconstruction.pixels, "another drawing, another reconstruction");
    // After an evaluation: its place on the latent map, and the probe's probabilities.
    assert!(say(&mut s, Command::Evaluate).iter().any(|e| matches!(e, Event::Evaluated(_))));
    let view = drawn(&say(&mut s, Command::Drawn { pixels: example(0) })).clone();
    assert!(view.place.is_some());
    let p = view.probabilities.clone().unwrap();
    assert_eq!((p.len(), view.probe_epoch), (10, Some(10)));
    assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-4 && p.iter().all(|v| (0.0..=1.0).contains(v)));
    assert_eq!(view.reconstruction, one.reconstruction, "the same model, the same pictures");
    assert!(
        say(&mut s, Command::Drawn { pixels: vec![0; 10] })
            .iter()
            .any(|e| matches!(e, Event::Error { message, .. } if message.contains("28×28")))
    );
    // A run is another model: its own pictures, and the probe of its latest epoch.
    let settings = Settings { epochs: 1, batch_size: 8, images_per_epoch: 256, ..Settings::default() };
    say(&mut s, Command::Start { settings, paused: true });
    let fresh = drawn(&say(&mut s, Command::Drawn { pixels: example(0) })).clone();
    assert_ne!(fresh.reconstruction, one.reconstruction);
    assert_eq!((fresh.place, fresh.probe_epoch), (None, None), "the snapshot's evaluation went with it");
    say(&mut s, Command::Resume);
    let mut events = Vec::new();
    while s.is_running() {
        block_on(s.advance(&mut |e| events.push(e)));
    }
    assert_eq!(drawn(&say(&mut s, Command::Drawn { pixels: example(0) })).probe_epoch, Some(1));
}

#[test]
fn the_page_sends_one_drawing_at_a_time_and_again_for_a_new_model() {
    let mut page = PageState::default();
    // Before a model: kept, sent once the snapshot arrives.
    assert!(page.draw(Some(vec![1; 784])).is_empty());
    let sent = |effects: Vec<Effect>| effects.into_iter().filter(|e| matches!(e, Effect::Send(Command::Drawn { .. }))).count();
    assert_eq!(sent(page.apply(Event::Pretrained { variant: pad::train::Variant::Pad, epoch: 10, dataset: "MNIST".into() }, None)), 1);
    // While it is with the trainer, the latest waits (the one between is dropped).
    assert!(page.draw(Some(vec![2; 784])).is_empty());
    assert!(page.draw(Some(vec![3; 784])).is_empty());
    let blank = pad::shared::images::HostImages { count: 0, channels: 1, side: 32, pixels: vec![] };
    let view = DrawnView {
        input: blank.clone(),
        reconstruction: blank.clone(),
        occluded: blank.clone(),
        seen: blank,
        place: None,
        probabilities: None,
        probe_epoch: None,
    };
    let effects = page.apply(Event::Drawn(view.clone()), None);
    assert_eq!(effects, vec![Effect::Send(Command::Drawn { pixels: vec![3; 784] })]);
    assert!(page.drawn.is_some());
    // An evaluation brings a map and a probe: asked again.
    page.apply(Event::Drawn(view.clone()), None);
    assert_eq!(sent(page.apply(Event::Evaluating, None)), 0);
    // Cleared while a drawing is with the trainer: its answer is not shown, and the next drawing
    // waits for it (one in flight).
    assert_eq!(sent(page.draw(Some(vec![4; 784]))), 1);
    page.draw(None);
    assert!(page.draw(Some(vec![5; 784])).is_empty());
    page.draw(None);
    assert!(page.apply(Event::Drawn(view.clone()), None).is_empty());
    assert!(page.drawn.is_none());
    // Cleared: nothing shown, nothing asked again.
    assert_eq!(sent(page.apply(Event::State(pad::session::protocol::RunState::Running), None)), 0);
}
