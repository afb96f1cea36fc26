//! Pictures people would rather look at than read: image grids (PNG) and plots (plotters).

use burn::prelude::*;
use pad::Error;
use pad::readback::{block_on, read_images};
use pad::train::PhaseImages;
use plotters::prelude::*;
use std::path::Path;

const COLUMNS: usize = 8;
const SCALE: usize = 2;

/// A grid of up to 64 images from a (B, C, H, W) batch in [−1, 1], scaled up crisply.
pub fn save_grid(images: &Tensor<4>, path: &Path) -> Result<(), Error> {
    let im = block_on(read_images(images.clone(), COLUMNS * COLUMNS))?;
    let (n, c, s) = (im.count, im.channels, im.side);
    let rows = n.div_ceil(COLUMNS);
    let (gw, gh) = ((COLUMNS * (s + 2)) * SCALE, (rows * (s + 2)) * SCALE);
    let mut img = image::RgbImage::from_pixel(gw as u32, gh as u32, image::Rgb([40, 40, 40]));
    for k in 0..n {
        let (ox, oy) = ((k % COLUMNS) * (s + 2) + 1, (k / COLUMNS) * (s + 2) + 1);
        for y in 0..s {
            for x in 0..s {
                let rgb = if c == 3 { [0, 1, 2].map(|ch| im.at(k, ch, y, x)) } else { [im.at(k, 0, y, x); 3] };
                for dy in 0..SCALE {
                    for dx in 0..SCALE {
                        img.put_pixel(((ox + x) * SCALE + dx) as u32, ((oy + y) * SCALE + dy) as u32, image::Rgb(rgb));
                    }
                }
            }
        }
    }
    img.save(path).map_err(|e| Error::Data(format!("cannot write {}: {e}", path.display())))
}

/// The four phase grids of one epoch: `epoch_NNN_{input,reconstruction,nrem,rem}.png`.
pub fn save_phase_grids(images: &PhaseImages, dir: &Path, epoch: usize) -> Result<(), Error> {
    for (name, t) in
        [("input", &images.input), ("reconstruction", &images.reconstruction), ("nrem", &images.nrem_dream), ("rem", &images.rem_dream)]
    {
        save_grid(t, &dir.join(format!("epoch_{epoch:03}_{name}.png")))?;
    }
    Ok(())
}

/// Plotters draws text with a font registered at run time; the system's DejaVu Sans is used when
/// present, otherwise plots are drawn without captions and labels.
fn font_available() -> bool {
    static FONT: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *FONT.get_or_init(|| {
        let candidates =
            ["/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/TTF/DejaVuSans.ttf", "/Library/Fonts/Arial.ttf"];
        candidates.iter().find_map(|p| std::fs::read(p).ok()).is_some_and(|bytes| {
            let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
            plotters::style::register_font("sans-serif", FontStyle::Normal, bytes).is_ok()
        })
    })
}

fn plot_error<E: std::fmt::Debug>(e: E) -> Error {
    Error::Data(format!("plotting failed: {e:?}"))
}

const W: u32 = 800;
const H: u32 = 500;

fn save_rgb(buf: Vec<u8>, path: &Path) -> Result<(), Error> {
    image::RgbImage::from_raw(W, H, buf)
        .ok_or_else(|| Error::Data("plot buffer size".into()))?
        .save(path)
        .map_err(|e| Error::Data(format!("cannot write {}: {e}", path.display())))
}

/// A named series of (x, y, ±band) points: the band (e.g. a standard error) is drawn as a shaded
/// area around the line where it is above 0.
pub type Series = (String, Vec<(f32, f32, f32)>);

/// Line plot of named series.
pub fn line_plot(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    y_range: std::ops::Range<f32>,
    series: &[Series],
) -> Result<(), Error> {
    let text = font_available();
    let mut buf = vec![255u8; (W * H * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (W, H)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_error)?;
        let x_max = series.iter().flat_map(|(_, p)| p.iter().map(|q| q.0)).fold(1.0f32, f32::max);
        let mut b = ChartBuilder::on(&root);
        b.margin(15).x_label_area_size(if text { 40 } else { 5 }).y_label_area_size(if text { 55 } else { 5 });
        if text {
            b.caption(title, ("sans-serif", 22));
        }
        let mut chart = b.build_cartesian_2d(0f32..x_max, y_range).map_err(plot_error)?;
        let mut mesh = chart.configure_mesh();
        if text {
            mesh.x_desc(x_label).y_desc(y_label);
        } else {
            mesh.disable_x_mesh().disable_y_mesh().x_labels(0).y_labels(0);
        }
        mesh.draw().map_err(plot_error)?;
        for (i, (name, pts)) in series.iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            if pts.iter().any(|p| p.2 > 0.0) {
                let band: Vec<(f32, f32)> =
                    pts.iter().map(|p| (p.0, p.1 + p.2)).chain(pts.iter().rev().map(|p| (p.0, p.1 - p.2))).collect();
                chart.draw_series(std::iter::once(Polygon::new(band, color.mix(0.18).filled()))).map_err(plot_error)?;
            }
            let line = pts.iter().map(|p| (p.0, p.1));
            let s = chart.draw_series(LineSeries::new(line, color.stroke_width(2))).map_err(plot_error)?;
            if text {
                s.label(name.clone()).legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
            }
            chart.draw_series(pts.iter().map(|p| Circle::new((p.0, p.1), 3, color.filled()))).map_err(plot_error)?;
        }
        if text {
            chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).draw().map_err(plot_error)?;
        }
        root.present().map_err(plot_error)?;
    }
    save_rgb(buf, path)
}

/// Scatter plot of 2-D points coloured by class; `open` points are drawn as rings.
pub fn scatter_plot(path: &Path, title: &str, points: &[([f32; 2], usize, bool)], classes: &[String]) -> Result<(), Error> {
    let text = font_available();
    let mut buf = vec![255u8; (W * H * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (W, H)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_error)?;
        let (mut x0, mut x1, mut y0, mut y1) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
        for (p, _, _) in points {
            x0 = x0.min(p[0]);
            x1 = x1.max(p[0]);
            y0 = y0.min(p[1]);
            y1 = y1.max(p[1]);
        }
        if x0 >= x1 || y0 >= y1 {
            (x0, x1, y0, y1) = (-1.0, 1.0, -1.0, 1.0);
        }
        let mut b = ChartBuilder::on(&root);
        b.margin(15).x_label_area_size(if text { 35 } else { 5 }).y_label_area_size(if text { 45 } else { 5 });
        if text {
            b.caption(title, ("sans-serif", 22));
        }
        let mut chart = b.build_cartesian_2d(x0..x1, y0..y1).map_err(plot_error)?;
        let mut mesh = chart.configure_mesh();
        if text {
            mesh.x_desc("PC 1").y_desc("PC 2");
        } else {
            mesh.x_labels(0).y_labels(0);
        }
        mesh.draw().map_err(plot_error)?;
        for (k, name) in classes.iter().enumerate() {
            let color = Palette99::pick(k).to_rgba();
            let s = chart
                .draw_series(points.iter().filter(|q| q.1 == k).map(|&(p, _, open)| {
                    let style = if open { color.stroke_width(1) } else { color.filled() };
                    Circle::new((p[0], p[1]), 3, style)
                }))
                .map_err(plot_error)?;
            if text {
                s.label(name.clone()).legend(move |(x, y)| Circle::new((x + 8, y), 4, color.filled()));
            }
        }
        if text {
            chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).draw().map_err(plot_error)?;
        }
        root.present().map_err(plot_error)?;
    }
    save_rgb(buf, path)
}
