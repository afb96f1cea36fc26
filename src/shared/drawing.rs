//! Your own input: a drawing made an image the way MNIST's digits were made, so that the model sees
//! it as it saw its data. MNIST's recipe (LeCun et al.): the strokes' bounding box scaled to fit a
//! 20×20 box, aspect ratio kept (grey levels from the anti-aliasing), then placed in a 28×28 field
//! with its centre of mass at the centre. Fashion-MNIST's items fill the whole 28×28 field. The
//! trainer then treats the 28×28 bytes as it treats the dataset's (bilinear resize to 32×32,
//! [−1, 1]).

/// Side of the image made (MNIST's).
pub const SIDE: usize = 28;

/// Ink below this (of 1) is background: the strokes' bounding box ignores it.
const INK: f32 = 0.05;

/// How large the strokes are made: MNIST's 20×20 box, or the whole field for Fashion-MNIST.
pub fn fit_for(dataset: &str) -> usize {
    if dataset.to_ascii_lowercase().contains("fashion") { SIDE } else { 20 }
}

/// A drawing of `width`×`height` ink values (0 background … 1 ink, row-major) as a 28×28 image
/// (bytes, 255 = ink): the strokes scaled into a `fit`×`fit` box (area-averaged, aspect kept) and
/// centred by mass. `None` when nothing is drawn.
pub fn preprocess(ink: &[f32], width: usize, height: usize, fit: usize) -> Option<Vec<u8>> {
    assert_eq!(ink.len(), width * height, "ink must be width × height");
    let at = |x: usize, y: usize| ink[y * width + x].clamp(0.0, 1.0);
    let inked: Vec<(usize, usize)> = (0..height).flat_map(|y| (0..width).map(move |x| (x, y))).filter(|&(x, y)| at(x, y) > INK).collect();
    let x0 = inked.iter().map(|p| p.0).min()?;
    let x1 = inked.iter().map(|p| p.0).max()? + 1;
    let y0 = inked.iter().map(|p| p.1).min()?;
    let y1 = inked.iter().map(|p| p.1).max()? + 1;
    let (bw, bh) = (x1 - x0, y1 - y0);
    let fit = fit.clamp(1, SIDE);
    let scale = fit as f64 / bw.max(bh) as f64;
    let (nw, nh) = (((bw as f64 * scale).round() as usize).clamp(1, fit), ((bh as f64 * scale).round() as usize).clamp(1, fit));
    // Area average: each target pixel is the mean of the source area it covers.
    let (sx, sy) = (bw as f64 / nw as f64, bh as f64 / nh as f64);
    let overlap = |t: usize, s: usize, step: f64| {
        let (a, b) = (t as f64 * step, (t + 1) as f64 * step);
        (b.min(s as f64 + 1.0) - a.max(s as f64)).max(0.0)
    };
    let mut small = vec![0f64; nw * nh];
    for ty in 0..nh {
        let ys = (ty as f64 * sy).floor() as usize..(((ty + 1) as f64 * sy).ceil() as usize).min(bh);
        for tx in 0..nw {
            let xs = (tx as f64 * sx).floor() as usize..(((tx + 1) as f64 * sx).ceil() as usize).min(bw);
            let mut sum = 0.0;
            for y in ys.clone() {
                let wy = overlap(ty, y, sy);
                for x in xs.clone() {
                    sum += wy * overlap(tx, x, sx) * at(x0 + x, y0 + y) as f64;
                }
            }
            small[ty * nw + tx] = sum / (sx * sy);
        }
    }
    // Centre of mass (pixel centres) to the field's centre.
    let mass: f64 = small.iter().sum();
    if mass <= 0.0 {
        return None;
    }
    let cx = (0..nw * nh).map(|i| (i % nw) as f64 + 0.5).zip(&small).map(|(x, v)| x * v).sum::<f64>() / mass;
    let cy = (0..nw * nh).map(|i| (i / nw) as f64 + 0.5).zip(&small).map(|(y, v)| y * v).sum::<f64>() / mass;
    let centre = SIDE as f64 / 2.0;
    let (ox, oy) = ((centre - cx).round() as isize, (centre - cy).round() as isize);
    let mut out = vec![0u8; SIDE * SIDE];
    for (i, v) in small.iter().enumerate() {
        let (x, y) = ((i % nw) as isize + ox, (i / nw) as isize + oy);
        if (0..SIDE as isize).contains(&x) && (0..SIDE as isize).contains(&y) {
            out[y as usize * SIDE + x as usize] = (v.clamp(0.0, 1.0) * 255.0).round() as u8;
        }
    }
    Some(out)
}

/// One stroke: a polyline in the unit square (x right, y down).
pub type Stroke = &'static [(f32, f32)];

/// A few strokes for people who would rather not draw: (name, strokes).
pub const EXAMPLES: [(&str, &[Stroke]); 4] = [
    ("1", &[&[(0.42, 0.25), (0.55, 0.12), (0.55, 0.88)]]),
    ("7", &[&[(0.25, 0.15), (0.75, 0.15), (0.45, 0.88)]]),
    ("0", &[&[(0.5, 0.12), (0.28, 0.3), (0.25, 0.6), (0.38, 0.85), (0.62, 0.85), (0.75, 0.6), (0.72, 0.3), (0.5, 0.12)]]),
    ("4", &[&[(0.6, 0.88), (0.6, 0.12), (0.22, 0.62), (0.8, 0.62)]]),
];
