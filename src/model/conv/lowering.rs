//! A strided convolution, its two gradients and its transpose as a few large matrix products
//! ("lowering": im2col / col2im around GEMM), on plain `f32` slices.
//!
//! Burn's CPU backend runs a convolution image by image and its weight gradient as another
//! convolution, one input channel at a time: thin products (k² = 16 columns) that reach a fifth of
//! the machine's peak. Here every product covers a block of whole images at once:
//!
//! - forward: `Yᵀ (rows × O) = patches (rows × C·k²) · Wᵀ`,
//! - input gradient: `dpatches (rows × C·k²) = dYᵀ (rows × O) · W`, then scattered back (col2im),
//! - weight gradient: `dW (O × C·k²) = Σ_blocks dY (O × rows) · patches (rows × C·k²)`,
//!
//! where a row is one output position of one image (`rows = images · P·Q`). A transposed
//! convolution is the input gradient of the convolution it mirrors, so the same three functions
//! serve both (see `super::extension`). Blocks bound the patch and row buffers (≤ [`BLOCK`] floats
//! each), so the memory a product needs does not grow with the batch.

use burn::tensor::DType;
#[cfg(not(target_family = "wasm"))]
use std::cell::RefCell;

/// The most `f32`s one block's patch or row matrix holds: 8 MB natively (≥ 1024 rows a product on
/// every PAD layer at batch 64); 2 MB in the browser, whose single thread gains little from longer
/// products and whose tab must fit a phone (≥ 256 rows a product).
pub const BLOCK: usize = if cfg!(target_family = "wasm") { 1 << 19 } else { 1 << 21 };

/// One convolution `x (B, C, H, W) ⋆ w (O, C, k, k) → y (B, O, P, Q)` with a square kernel, the
/// same stride and zero padding on every side, no dilation and no groups.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Geometry {
    pub batch: usize,
    pub channels: usize,
    pub height: usize,
    pub width: usize,
    pub filters: usize,
    pub kernel: usize,
    pub stride: usize,
    pub padding: usize,
}

impl Geometry {
    /// Output height `P`.
    pub fn out_height(&self) -> usize {
        (self.height + 2 * self.padding - self.kernel) / self.stride + 1
    }

    /// Output width `Q`.
    pub fn out_width(&self) -> usize {
        (self.width + 2 * self.padding - self.kernel) / self.stride + 1
    }

    /// Whether the kernel fits in the padded input (else there is no output).
    pub fn is_valid(&self) -> bool {
        self.kernel > 0 && self.stride > 0 && self.height + 2 * self.padding >= self.kernel && self.width + 2 * self.padding >= self.kernel
    }

    /// Output positions per image, `P·Q`: the rows one image adds to a product.
    fn positions(&self) -> usize {
        self.out_height() * self.out_width()
    }

    /// Length of one patch, `C·k²`: the products' inner (or outer) dimension.
    fn patch(&self) -> usize {
        self.channels * self.kernel * self.kernel
    }

    fn image(&self) -> usize {
        self.channels * self.height * self.width
    }

    fn out_image(&self) -> usize {
        self.filters * self.positions()
    }

    /// Images per block: as many as fit in [`BLOCK`] floats of patches and of rows, at least one.
    fn block_images(&self) -> usize {
        (BLOCK / (self.positions() * self.patch().max(self.filters)).max(1)).clamp(1, self.batch.max(1))
    }

    /// The input columns `[lo, hi)` that kernel column `j` reads at output column `q`, and where
    /// they start in the input: `iw = q·s + j − pad` for the `j` whose `iw` lies in `[0, W)`.
    fn taps(q: usize, stride: usize, padding: usize, kernel: usize, size: usize) -> (usize, usize, usize) {
        let start = (q * stride) as isize - padding as isize;
        let lo = (-start).clamp(0, kernel as isize) as usize;
        let hi = (size as isize - start).clamp(lo as isize, kernel as isize) as usize;
        (lo, hi, (start + lo as isize) as usize)
    }
}

/// `y = leaky(x ⋆ w + bias)`: (B, O, P, Q), where `leaky` is LeakyReLU with negative slope
/// `slope` (1: none).
pub fn forward(g: &Geometry, x: &[f32], w: &[f32], bias: Option<&[f32]>, slope: f32) -> Vec<f32> {
    check(g, x.len(), w.len(), bias.map(<[f32]>::len));
    let mut y = vec![0.0; g.batch * g.out_image()];
    blocks(g, |b0, n, patches, rows| {
        im2col(g, &x[b0 * g.image()..(b0 + n) * g.image()], patches);
        patches_times_weight(g, n, patches, w, rows);
        rows_to_planes(g, rows, &mut y[b0 * g.out_image()..(b0 + n) * g.out_image()], bias, slope);
    });
    y
}

/// `dx` from `dy` (B, O, P, Q): the convolution's input gradient, (B, C, H, W). With `start`, each
/// channel `c` of `dx` starts at `start[c]` instead of 0, and LeakyReLU with negative slope
/// `slope` (1: none) follows: a transposed convolution's bias and activation.
pub fn input_grad(g: &Geometry, dy: &[f32], w: &[f32], start: Option<&[f32]>, slope: f32) -> Vec<f32> {
    check(g, g.batch * g.image(), w.len(), None);
    assert_eq!(dy.len(), g.batch * g.out_image(), "dy holds one output per image");
    if let Some(s) = start {
        assert_eq!(s.len(), g.channels, "one starting value per input channel");
    }
    let mut dx = vec![0.0; g.batch * g.image()];
    blocks(g, |b0, n, patches, rows| {
        planes_to_rows(g, &dy[b0 * g.out_image()..(b0 + n) * g.out_image()], rows);
        rows_times_weight(g, n, rows, w, patches);
        scatter(g, patches, &mut dx[b0 * g.image()..(b0 + n) * g.image()], start, slope);
    });
    dx
}

/// A convolution's backward pass: the gradients for its input `x` and its weight (each when
/// asked) from the output gradient `dy`, `dy`'s rows made once for both products.
pub fn backward(g: &Geometry, x: &[f32], dy: &[f32], w: &[f32], input: bool, weight: bool) -> (Option<Vec<f32>>, Option<Vec<f32>>) {
    check(g, x.len(), w.len(), None);
    assert_eq!(dy.len(), g.batch * g.out_image(), "dy holds one output per image");
    let mut dx = input.then(|| vec![0.0; g.batch * g.image()]);
    let mut dw = weight.then(|| vec![0.0; g.filters * g.patch()]);
    blocks(g, |b0, n, patches, rows| {
        planes_to_rows(g, &dy[b0 * g.out_image()..(b0 + n) * g.out_image()], rows);
        if let Some(dw) = &mut dw {
            im2col(g, &x[b0 * g.image()..(b0 + n) * g.image()], patches);
            weight_product(g, n, rows, patches, dw, b0 > 0);
        }
        if let Some(dx) = &mut dx {
            rows_times_weight(g, n, rows, w, patches);
            scatter(g, patches, &mut dx[b0 * g.image()..(b0 + n) * g.image()], None, 1.0);
        }
    });
    (dx, dw)
}

/// A transposed convolution's backward pass, in the geometry of the convolution it mirrors: its
/// input `x` is that convolution's output side, the gradient `dy` its input side. The input
/// gradient is the convolution of `dy`, the weight gradient pairs `x` with `dy`'s patches; the
/// patches are made once for both.
pub fn transposed_backward(
    g: &Geometry,
    x: &[f32],
    dy: &[f32],
    w: &[f32],
    input: bool,
    weight: bool,
) -> (Option<Vec<f32>>, Option<Vec<f32>>) {
    check(g, dy.len(), w.len(), None);
    assert_eq!(x.len(), g.batch * g.out_image(), "x is the mirrored convolution's output");
    let mut dx = input.then(|| vec![0.0; g.batch * g.out_image()]);
    let mut dw = weight.then(|| vec![0.0; g.filters * g.patch()]);
    blocks(g, |b0, n, patches, rows| {
        im2col(g, &dy[b0 * g.image()..(b0 + n) * g.image()], patches);
        if let Some(dx) = &mut dx {
            patches_times_weight(g, n, patches, w, rows);
            rows_to_planes(g, rows, &mut dx[b0 * g.out_image()..(b0 + n) * g.out_image()], None, 1.0);
        }
        if let Some(dw) = &mut dw {
            planes_to_rows(g, &x[b0 * g.out_image()..(b0 + n) * g.out_image()], rows);
            weight_product(g, n, rows, patches, dw, b0 > 0);
        }
    });
    (dx, dw)
}

/// Runs `step(first image, images, patches, rows)` for each block of whole images, with scratch
/// buffers sized for the block: `patches` holds `n·P·Q × C·k²` values, `rows` `n·P·Q × O`.
fn blocks(g: &Geometry, mut step: impl FnMut(usize, usize, &mut [f32], &mut [f32])) {
    let (rows, patch, out) = (g.positions(), g.patch(), g.filters);
    let block = g.block_images();
    with_scratch(block * rows * patch, block * rows * out, |patches, scratch_rows| {
        for b0 in (0..g.batch).step_by(block) {
            let n = block.min(g.batch - b0);
            step(b0, n, &mut patches[..n * rows * patch], &mut scratch_rows[..n * rows * out]);
        }
    });
}

/// `Yᵀ (n·P·Q × O) = patches (n·P·Q × C·k²) · Wᵀ (C·k² × O)`.
fn patches_times_weight(g: &Geometry, n: usize, patches: &[f32], w: &[f32], yt: &mut [f32]) {
    let (patch, out) = (g.patch(), g.filters);
    matmul(Product {
        m: n * g.positions(),
        n: out,
        k: patch,
        dst: (yt, 1, out),
        lhs: (patches, 1, patch),
        rhs: (w, patch, 1),
        accumulate: false,
    });
}

/// `dpatches (n·P·Q × C·k²) = dYᵀ (n·P·Q × O) · W (O × C·k²)`.
fn rows_times_weight(g: &Geometry, n: usize, dyt: &[f32], w: &[f32], dpatches: &mut [f32]) {
    let (patch, out) = (g.patch(), g.filters);
    matmul(Product {
        m: n * g.positions(),
        n: patch,
        k: out,
        dst: (dpatches, 1, patch),
        lhs: (dyt, 1, out),
        rhs: (w, 1, patch),
        accumulate: false,
    });
}

/// `dW (O × C·k²) [+]= dY (O × n·P·Q) · patches (n·P·Q × C·k²)`: one product over the block.
fn weight_product(g: &Geometry, n: usize, dyt: &[f32], patches: &[f32], dw: &mut [f32], accumulate: bool) {
    let (patch, out) = (g.patch(), g.filters);
    matmul(Product {
        m: out,
        n: patch,
        k: n * g.positions(),
        dst: (dw, 1, patch),
        lhs: (dyt, out, 1),
        rhs: (patches, 1, patch),
        accumulate,
    });
}

/// A block's (n, O, P, Q) planes as (n·P·Q, O) rows.
fn planes_to_rows(g: &Geometry, planes: &[f32], rows: &mut [f32]) {
    let (positions, out) = (g.positions(), g.filters);
    each_image(rows, positions * out, |i, image| to_rows(&planes[i * g.out_image()..(i + 1) * g.out_image()], image, positions, out));
}

/// A block's (n·P·Q, O) rows back as (n, O, P, Q) planes, plus bias, through LeakyReLU.
fn rows_to_planes(g: &Geometry, rows: &[f32], planes: &mut [f32], bias: Option<&[f32]>, slope: f32) {
    let (positions, out) = (g.positions(), g.filters);
    each_image(planes, g.out_image(), |i, image| {
        from_rows(&rows[i * positions * out..(i + 1) * positions * out], image, positions, out, bias, slope)
    });
}

/// A block's patch gradients added back into its (n, C, H, W) images (col2im), each channel
/// starting at `start[c]` (else 0), then LeakyReLU.
fn scatter(g: &Geometry, dpatches: &[f32], dx: &mut [f32], start: Option<&[f32]>, slope: f32) {
    let len = g.positions() * g.patch();
    each_image(dx, g.image(), |i, image| {
        if let Some(start) = start {
            let plane = g.height * g.width;
            for (c, &v) in start.iter().enumerate() {
                image[c * plane..(c + 1) * plane].fill(v);
            }
        }
        col2im(g, &dpatches[i * len..(i + 1) * len], image);
        if slope != 1.0 {
            image.iter_mut().for_each(|v| *v = leaky(*v, slope));
        }
    });
}

/// LeakyReLU: `v` for `v ≥ 0`, `slope·v` below (Burn's and PyTorch's value).
#[inline(always)]
fn leaky(v: f32, slope: f32) -> f32 {
    if v < 0.0 { v * slope } else { v }
}

/// The gradient before a LeakyReLU from the gradient `dy` after it and its output `y`:
/// `dy` where `y > 0`, `slope·dy` elsewhere (PyTorch's rule; `y > 0` exactly where its input is,
/// for a positive slope). Borrows `dy` when there is no activation (`slope` 1).
pub fn leaky_grad<'a>(dy: &'a [f32], y: &[f32], slope: f32) -> std::borrow::Cow<'a, [f32]> {
    if slope == 1.0 {
        return std::borrow::Cow::Borrowed(dy);
    }
    assert_eq!(dy.len(), y.len(), "one gradient per output");
    dy.iter().zip(y).map(|(&d, &y)| if y > 0.0 { d } else { d * slope }).collect()
}

/// Per-channel sums of a (B, C, …) tensor given as `batch` images of `channels` planes: a bias's
/// gradient.
pub fn channel_sums(t: &[f32], batch: usize, channels: usize) -> Vec<f32> {
    assert!(batch * channels > 0 && t.len().is_multiple_of(batch * channels), "(B, C, …) values");
    let plane = t.len() / (batch * channels);
    let mut sums = vec![0.0f32; channels];
    for image in t.chunks(channels * plane) {
        for (s, p) in sums.iter_mut().zip(image.chunks(plane)) {
            *s += p.iter().sum::<f32>();
        }
    }
    sums
}

/// The only element type lowered; other dtypes keep Burn's own kernels.
pub fn supports(dtype: DType) -> bool {
    dtype == DType::F32
}

fn check(g: &Geometry, x: usize, w: usize, bias: Option<usize>) {
    assert!(g.is_valid(), "convolution: the kernel does not fit the padded input ({g:?})");
    assert_eq!(x, g.batch * g.image(), "x is (B, C, H, W) of {g:?}");
    assert_eq!(w, g.filters * g.patch(), "w is (O, C, k, k) of {g:?}");
    if let Some(b) = bias {
        assert_eq!(b, g.filters, "one bias per filter");
    }
}

/// One image's patches: row `p·Q + q` holds the `C·k²` inputs output `(p, q)` reads (zeros where
/// the kernel hangs over the padding), ordered `(c, i, j)` like the weight's last three axes.
fn im2col(g: &Geometry, x: &[f32], patches: &mut [f32]) {
    let (rows, patch) = (g.positions(), g.patch());
    each_image(patches, rows * patch, |b, dst| {
        let image = &x[b * g.image()..(b + 1) * g.image()];
        // PAD's 4×4 kernels get their own copy of the loops, with k known: runs of k values are
        // too short for memcpy/memset calls, which a run-time length would compile to.
        match g.kernel {
            4 => im2col_image(g, 4, image, dst),
            k => im2col_image(g, k, image, dst),
        }
    });
}

#[inline(always)]
fn im2col_image(g: &Geometry, k: usize, image: &[f32], dst: &mut [f32]) {
    let patch = g.patch();
    for p in 0..g.out_height() {
        let (ilo, ihi, h0) = Geometry::taps(p, g.stride, g.padding, k, g.height);
        for q in 0..g.out_width() {
            let (jlo, jhi, w0) = Geometry::taps(q, g.stride, g.padding, k, g.width);
            let row = &mut dst[(p * g.out_width() + q) * patch..][..patch];
            for (c, kernel) in row.chunks_exact_mut(k * k).enumerate() {
                let plane = &image[c * g.height * g.width..];
                for (i, taps) in kernel.chunks_exact_mut(k).enumerate() {
                    if i < ilo || i >= ihi {
                        taps.iter_mut().for_each(|t| *t = 0.0);
                    } else if jlo == 0 && jhi == k {
                        taps.copy_from_slice(&plane[(h0 + i - ilo) * g.width + w0..][..k]);
                    } else {
                        let src = &plane[(h0 + i - ilo) * g.width + w0..];
                        for (j, t) in taps.iter_mut().enumerate() {
                            *t = if j >= jlo && j < jhi { src[j - jlo] } else { 0.0 };
                        }
                    }
                }
            }
        }
    }
}

/// The inverse scatter of [`im2col`] for one image: every patch value is added to the input
/// position it was read from.
fn col2im(g: &Geometry, patches: &[f32], dx: &mut [f32]) {
    match g.kernel {
        4 => col2im_image(g, 4, patches, dx),
        k => col2im_image(g, k, patches, dx),
    }
}

#[inline(always)]
fn col2im_image(g: &Geometry, k: usize, patches: &[f32], dx: &mut [f32]) {
    let patch = g.patch();
    for p in 0..g.out_height() {
        let (ilo, ihi, h0) = Geometry::taps(p, g.stride, g.padding, k, g.height);
        for q in 0..g.out_width() {
            let (jlo, jhi, w0) = Geometry::taps(q, g.stride, g.padding, k, g.width);
            let row = &patches[(p * g.out_width() + q) * patch..][..patch];
            for (c, kernel) in row.chunks_exact(k * k).enumerate() {
                let plane = &mut dx[c * g.height * g.width..];
                for i in ilo..ihi {
                    let src = &kernel[i * k..(i + 1) * k];
                    let dst = &mut plane[(h0 + i - ilo) * g.width + w0..];
                    if jlo == 0 && jhi == k {
                        // A whole kernel row: k adds with k known (no run-time length).
                        dst[..k].iter_mut().zip(src).for_each(|(d, s)| *d += s);
                    } else {
                        dst[..jhi - jlo].iter_mut().zip(&src[jlo..jhi]).for_each(|(d, s)| *d += s);
                    }
                }
            }
        }
    }
}

#[cfg(not(target_family = "wasm"))]
thread_local! {
    /// The patch and row buffers of the last product on this thread, kept for the next: fresh
    /// buffers of megabytes cost a page fault per 4 KB on every call. Bounded by [`BLOCK`].
    static SCRATCH: RefCell<(Vec<f32>, Vec<f32>)> = RefCell::default();
}

/// Runs `f` with two scratch buffers of these lengths (contents unspecified). In the browser they
/// are fresh each time: a wasm heap never hands memory back (no page faults to save) and the
/// worker's allocator reuses what was freed, so keeping them would only hold memory.
#[cfg(target_family = "wasm")]
fn with_scratch<R>(a: usize, b: usize, f: impl FnOnce(&mut [f32], &mut [f32]) -> R) -> R {
    f(&mut vec![0.0; a], &mut vec![0.0; b])
}

/// Runs `f` with two scratch buffers of these lengths (contents unspecified).
#[cfg(not(target_family = "wasm"))]
fn with_scratch<R>(a: usize, b: usize, f: impl FnOnce(&mut [f32], &mut [f32]) -> R) -> R {
    SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
        Ok(mut buffers) => {
            let (x, y) = &mut *buffers;
            x.resize(x.len().max(a), 0.0);
            y.resize(y.len().max(b), 0.0);
            f(&mut x[..a], &mut y[..b])
        }
        // Only when a product runs inside another on this thread (never in PAD): fresh buffers.
        Err(_) => f(&mut vec![0.0; a], &mut vec![0.0; b]),
    })
}

/// One image's (O, P·Q) planes as (P·Q, O) rows.
fn to_rows(planes: &[f32], rows: &mut [f32], positions: usize, channels: usize) {
    for (c, plane) in planes.chunks_exact(positions).enumerate() {
        for (r, &v) in rows[c..].iter_mut().step_by(channels).zip(plane) {
            *r = v;
        }
    }
}

/// One image's (P·Q, O) rows back as (O, P·Q) planes, plus a bias per channel, through
/// LeakyReLU with negative slope `slope` (1: none).
fn from_rows(rows: &[f32], planes: &mut [f32], positions: usize, channels: usize, bias: Option<&[f32]>, slope: f32) {
    for (c, plane) in planes.chunks_exact_mut(positions).enumerate() {
        let b = bias.map_or(0.0, |b| b[c]);
        for (v, &r) in plane.iter_mut().zip(rows[c..].iter().step_by(channels)) {
            *v = leaky(r + b, slope);
        }
    }
}

/// Runs `f(image, part)` for each `len`-long part of `dst`: in parallel natively, in order in the
/// browser's single-threaded worker.
fn each_image(dst: &mut [f32], len: usize, f: impl Fn(usize, &mut [f32]) + Send + Sync) {
    #[cfg(not(target_family = "wasm"))]
    {
        use rayon::prelude::*;
        dst.par_chunks_mut(len).enumerate().for_each(|(i, part)| f(i, part));
    }
    #[cfg(target_family = "wasm")]
    dst.chunks_mut(len).enumerate().for_each(|(i, part)| f(i, part));
}

/// `dst (m × n) = [dst +] lhs (m × k) · rhs (k × n)`; each matrix is a slice with its column and
/// row strides, in that order.
struct Product<'a> {
    m: usize,
    n: usize,
    k: usize,
    dst: (&'a mut [f32], usize, usize),
    lhs: (&'a [f32], usize, usize),
    rhs: (&'a [f32], usize, usize),
    accumulate: bool,
}

/// The largest index a (rows × cols) matrix with these strides touches, plus one.
fn extent(rows: usize, cols: usize, cs: usize, rs: usize) -> usize {
    if rows == 0 || cols == 0 { 0 } else { (rows - 1) * rs + (cols - 1) * cs + 1 }
}

#[allow(unsafe_code)]
fn matmul(p: Product<'_>) {
    let Product { m, n, k, dst, lhs, rhs, accumulate } = p;
    assert!(extent(m, n, dst.1, dst.2) <= dst.0.len(), "product: dst out of bounds");
    assert!(extent(m, k, lhs.1, lhs.2) <= lhs.0.len(), "product: lhs out of bounds");
    assert!(extent(k, n, rhs.1, rhs.2) <= rhs.0.len(), "product: rhs out of bounds");
    // gemm splits large products over the CPU's threads itself (natively); the browser's worker
    // has one.
    #[cfg(not(target_family = "wasm"))]
    let parallelism = if m * n * k >= 1 << 18 { gemm::Parallelism::Rayon(0) } else { gemm::Parallelism::None };
    #[cfg(target_family = "wasm")]
    let parallelism = gemm::Parallelism::None;
    let signed = |s: usize| s as isize;
    // SAFETY: the three asserts above keep every element gemm reads or writes inside its slice (a
    // matrix with these strides touches at most `extent` elements from its start); `dst` is a
    // unique borrow, so it overlaps neither input.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.0.as_mut_ptr(),
            signed(dst.1),
            signed(dst.2),
            accumulate,
            lhs.0.as_ptr(),
            signed(lhs.1),
            signed(lhs.2),
            rhs.0.as_ptr(),
            signed(rhs.1),
            signed(rhs.2),
            1.0f32,
            1.0f32,
            false,
            false,
            false,
            parallelism,
        );
    }
}
