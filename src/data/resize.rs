//! Bilinear resizing of 8-bit images as torchvision's `Resize(32)` does on PIL images (decision
//! `bilinear-resize`, docs/decisions.md): two separable passes (horizontal, then vertical) with
//! PIL's triangle filter, half-pixel centres, edge taps renormalised, rounded to 8 bits after
//! each pass. Used to bring 28×28 MNIST and Fashion-MNIST to 32×32 once, when a dataset is
//! loaded.

/// Taps of one output coordinate: (first input index, weights).
fn taps(in_size: usize, out_size: usize) -> Vec<(usize, Vec<f64>)> {
    let scale = in_size as f64 / out_size as f64;
    let support = scale.max(1.0); // bilinear support 1, widened when shrinking
    (0..out_size)
        .map(|o| {
            let center = (o as f64 + 0.5) * scale;
            let lo = ((center - support + 0.5).floor().max(0.0)) as usize;
            let hi = ((center + support + 0.5).floor() as usize).min(in_size);
            let mut w: Vec<f64> = (lo..hi)
                .map(|i| {
                    let x = ((i as f64 - center + 0.5) / support).abs();
                    (1.0 - x).max(0.0)
                })
                .collect();
            let sum: f64 = w.iter().sum();
            w.iter_mut().for_each(|v| *v /= sum);
            (lo, w)
        })
        .collect()
}

fn round8(v: f64) -> u8 {
    v.round().clamp(0.0, 255.0) as u8
}

/// Resize one `h`×`w` plane to `side`×`side`.
pub fn resize_plane(src: &[u8], h: usize, w: usize, side: usize) -> Vec<u8> {
    let tx = taps(w, side);
    let ty = taps(h, side);
    let mut horiz = vec![0u8; h * side];
    for r in 0..h {
        for (c, (lo, ws)) in tx.iter().enumerate() {
            let v: f64 = ws.iter().enumerate().map(|(k, wt)| wt * src[r * w + lo + k] as f64).sum();
            horiz[r * side + c] = round8(v);
        }
    }
    let mut out = vec![0u8; side * side];
    for (r, (lo, ws)) in ty.iter().enumerate() {
        for c in 0..side {
            let v: f64 = ws.iter().enumerate().map(|(k, wt)| wt * horiz[(lo + k) * side + c] as f64).sum();
            out[r * side + c] = round8(v);
        }
    }
    out
}

/// Resize every plane of N images of C×h×w bytes to C×side×side (planes stay in order).
pub fn resize_all(pixels: &[u8], h: usize, w: usize, side: usize) -> Vec<u8> {
    // Reserved at its final size: collected from a `flat_map` (no size hint) it grew by doubling.
    let mut out = Vec::with_capacity(pixels.len() / (h * w) * side * side);
    for plane in pixels.chunks_exact(h * w) {
        out.extend_from_slice(&resize_plane(plane, h, w, side));
    }
    out
}
