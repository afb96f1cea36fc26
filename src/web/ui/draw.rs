//! Pictures on canvases: image grids (pixels at native size, scaled up crisply by CSS) and the
//! plots (plotters on its canvas backend): losses, probe accuracy, the hypnogram.

use super::measured::MeasuredCanvas;
use crate::shared::history::{Hypnogram, LossHistory};
use crate::shared::images::HostImages;
use crate::shared::knobs::KnobChange;
use crate::shared::protocol::EvaluationView;

use crate::shared::phase::Phase;
use crate::shared::plot::Frame;
use crate::shared::records::EpochRecord;
use plotters::coord::ranged1d::Ranged;
use plotters::coord::types::RangedCoordusize;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};

/// Images per row of a grid.
pub const COLUMNS: usize = 8;

/// Draw `images` as a grid of up to 8 columns; the canvas takes the grid's pixel size (CSS scales
/// it with `image-rendering: pixelated`). An empty batch clears the canvas.
pub fn grid(canvas: &HtmlCanvasElement, images: &HostImages) {
    let (side, n) = (images.side, images.count);
    let cols = COLUMNS.min(n.max(1));
    let rows = n.div_ceil(COLUMNS).max(1);
    let (w, h) = (cols * side, rows * side);
    canvas.set_width(w as u32);
    canvas.set_height(h as u32);
    let Some(ctx) = context(canvas) else { return };
    if n == 0 {
        ctx.clear_rect(0.0, 0.0, w as f64, h as f64);
        return;
    }
    let mut rgba = vec![0u8; w * h * 4];
    for i in 0..n {
        let (gx, gy) = ((i % COLUMNS) * side, (i / COLUMNS) * side);
        for y in 0..side {
            for x in 0..side {
                let o = ((gy + y) * w + gx + x) * 4;
                for c in 0..3 {
                    rgba[o + c] = images.at(i, c.min(images.channels - 1), y, x);
                }
                rgba[o + 3] = 255;
            }
        }
    }
    if let Ok(data) = ImageData::new_with_u8_clamped_array_and_sh(Clamped(&rgba), w as u32, h as u32) {
        let _ = ctx.put_image_data(&data, 0.0, 0.0);
    }
}

fn context(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    canvas.get_context("2d").ok().flatten()?.dyn_into().ok()
}

/// Line patterns of the five losses (solid, dashed, dotted, long dash, dash-dot as (dash, gap) in
/// pixels; `None` solid) and their CSS border style in the legend: series differ without colour.
pub const LOSS_DASHES: [(Option<(u32, u32)>, &str); 5] =
    [(None, "solid"), (Some((8, 4)), "dashed"), (Some((2, 3)), "dotted"), (Some((14, 5)), "dashed"), (Some((5, 2)), "dotted")];

/// Colours of the five losses, in `Losses::NAMES` order (the page's legend uses them too).
pub const LOSS_COLOURS: [RGBColor; 5] =
    [RGBColor(31, 119, 180), RGBColor(148, 103, 189), RGBColor(44, 160, 44), RGBColor(255, 127, 14), RGBColor(214, 39, 40)];

/// Colours of the stable and the official probe.
pub const PROBE_COLOURS: [RGBColor; 2] = [RGBColor(31, 119, 180), RGBColor(255, 127, 14)];

/// The probes' line patterns in the legend (the plot: stable solid with dots, official dashed with squares).
pub const PROBE_DASHES: [&str; 2] = ["solid", "dashed"];

/// A colour as CSS.
pub fn css(c: RGBColor) -> String {
    format!("rgb({},{},{})", c.0, c.1, c.2)
}

/// Colours of the three brain states.
pub fn phase_colour(p: Phase) -> RGBColor {
    match p {
        Phase::Wake => RGBColor(240, 180, 40),
        Phase::Nrem => RGBColor(60, 110, 200),
        Phase::Rem => RGBColor(150, 60, 170),
    }
}

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

/// The frame of a chart as drawn: its plotting area in canvas pixels and the data ranges it spans.
fn frame<Y>(area: &DrawingArea<MeasuredCanvas, Cartesian2d<RangedCoordusize, Y>>, x: (usize, usize), y: (f64, f64), log_y: bool) -> Frame
where
    Y: Ranged,
{
    let (xs, ys) = area.get_pixel_range();
    Frame { x_px: (xs.start as f64, xs.end as f64), y_px: (ys.start as f64, ys.end as f64), x: (x.0 as f64, x.1 as f64), y, log_y }
}

fn backend(canvas: &HtmlCanvasElement) -> Option<MeasuredCanvas> {
    MeasuredCanvas::new(canvas)
}

/// The five losses over iterations, log scale, with a dashed mark where the knobs were turned
/// (labelled with what changed); returns where it drew them.
pub fn losses(canvas: &HtmlCanvasElement, history: &LossHistory, changes: &[KnobChange]) -> Result<Option<Frame>> {
    let Some(b) = backend(canvas) else { return Ok(None) };
    let root = b.into_drawing_area();
    root.fill(&WHITE)?;
    let points = history.points();
    // The plot spans the iterations recorded and the first iteration of every knob change.
    let last = points.last().map_or(1, |p| p.0).max(changes.last().map_or(0, |c| c.iteration + 1)).max(2);
    let values = points.iter().flat_map(|p| p.1).filter(|v| v.is_finite() && *v > 0.0);
    let (lo, hi) = values.fold((f32::MAX, f32::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let (lo, hi) = if lo > hi { (1e-3, 10.0) } else { (lo * 0.8, hi * 1.25) };
    let mut chart = ChartBuilder::on(&root)
        .margin(8)
        .x_label_area_size(36)
        .y_label_area_size(48)
        .caption("Losses per iteration", ("sans-serif", 14))
        .build_cartesian_2d(1usize..last, (lo..hi).log_scale())?;
    chart.configure_mesh().x_desc("iteration").light_line_style(WHITE.mix(0.0)).label_style(("sans-serif", 11)).draw()?;
    for (k, (colour, (dash, _))) in LOSS_COLOURS.iter().zip(LOSS_DASHES).enumerate() {
        let series = points.iter().filter(|p| p.1[k] > 0.0).map(|p| (p.0, p.1[k]));
        match dash {
            None => chart.draw_series(LineSeries::new(series, colour.stroke_width(2)))?,
            Some((size, gap)) => chart.draw_series(DashedLineSeries::new(series, size, gap, colour.stroke_width(2)))?,
        };
    }
    for (n, change) in changes.iter().enumerate() {
        // The mark stands on the first iteration with the new knobs.
        let x = change.iteration + 1;
        let mark = [(x, lo * 1.0001), (x, hi * 0.9999)];
        chart.draw_series(DashedLineSeries::new(mark, 4, 3, BLACK.mix(0.6).stroke_width(1)))?;
        // Labels go down the plot one line per change, so that close marks stay readable; on the
        // right half they end at the mark, so that they stay inside the plot.
        let y = hi / 1.3_f32.powi(1 + (n % 6) as i32);
        let side = if 2 * x > last { HPos::Right } else { HPos::Left };
        let style = ("sans-serif", 11).into_font().color(&BLACK).pos(Pos::new(side, VPos::Top));
        chart.draw_series(std::iter::once(Text::new(format!(" {} ", change.after.changes_from(&change.before)), (x, y), style)))?;
    }
    let drawn = frame(chart.plotting_area(), (1, last), (lo as f64, hi as f64), true);
    root.present()?;
    Ok(Some(drawn))
}

/// The paper's epoch-50 linear-probe accuracies (`shared/paper.rs`) for PAD, w/o REM and Wake
/// only, drawn as labelled reference lines when the data is one of the paper's datasets.
pub fn paper_references(dataset: &str) -> Vec<(String, f32)> {
    use crate::shared::config::Variant;
    use crate::shared::paper::{PaperDataset, probe_at_epoch_50};
    let Some(d) = PaperDataset::of(dataset) else { return Vec::new() };
    [Variant::Pad, Variant::NoRem, Variant::WakeOnly]
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let (mean, _) = probe_at_epoch_50(d, v);
            let label = if i == 0 { format!("paper, epoch 50: {} {mean:.2} %", v.label()) } else { format!("{} {mean:.2} %", v.label()) };
            (label, mean)
        })
        .collect()
}

/// Linear-probe accuracy per epoch: the stable probe (headline) and the official one, with
/// labelled reference lines (e.g. [`paper_references`]).
pub fn probes(canvas: &HtmlCanvasElement, epochs: &[EpochRecord], references: &[(String, f32)]) -> Result<Option<Frame>> {
    let Some(b) = backend(canvas) else { return Ok(None) };
    let root = b.into_drawing_area();
    root.fill(&WHITE)?;
    let last = epochs.iter().map(|r| r.epoch).max().unwrap_or(1).max(1);
    let mut chart = ChartBuilder::on(&root)
        .margin(8)
        .x_label_area_size(36)
        .y_label_area_size(40)
        .caption("Linear probe on z (test accuracy, %)", ("sans-serif", 14))
        .build_cartesian_2d(0usize..last, 0f32..100f32)?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .x_labels(last.min(10) + 1)
        .y_labels(6)
        .y_label_formatter(&|v| format!("{v:.0}"))
        .light_line_style(WHITE.mix(0.0))
        .label_style(("sans-serif", 11))
        .draw()?;
    type Value = fn(&EpochRecord) -> Option<f32>;
    let series: [(RGBColor, Value); 2] =
        [(PROBE_COLOURS[0], |r| r.probe_stable), (PROBE_COLOURS[1], |r| r.probe_official.or(r.probe_official_all))];
    // The stable probe solid with dots, the official one dashed with squares (PROBE_DASHES).
    for (k, (colour, value)) in series.into_iter().enumerate() {
        let pts: Vec<(usize, f32)> = epochs.iter().filter_map(|r| value(r).map(|v| (r.epoch, v * 100.0))).collect();
        if k == 0 {
            chart.draw_series(LineSeries::new(pts.clone(), colour.stroke_width(2)))?;
            chart.draw_series(pts.into_iter().map(|p| Circle::new(p, 3, colour.filled())))?;
        } else {
            chart.draw_series(DashedLineSeries::new(pts.clone(), 7, 4, colour.stroke_width(2)))?;
            chart.draw_series(pts.into_iter().map(|p| EmptyElement::at(p) + Rectangle::new([(-3, -3), (3, 3)], colour.filled())))?;
        }
    }
    let grey = RGBColor(120, 120, 120);
    for (label, value) in references {
        let value = *value;
        chart.draw_series(DashedLineSeries::new([(0, value), (last, value)], 6, 4, grey.stroke_width(1)))?;
        chart.draw_series(std::iter::once(Text::new(label.clone(), (0, value + 1.5), ("sans-serif", 10).into_font().color(&grey))))?;
    }
    let drawn = frame(chart.plotting_area(), (0, last), (0.0, 100.0), false);
    root.present()?;
    Ok(Some(drawn))
}

/// The hypnogram: which brain state ran when, over the last seconds of training (Wake on top,
/// NREM below, REM lowest, as sleep hypnograms draw them).
pub fn hypnogram(canvas: &HtmlCanvasElement, h: &Hypnogram) -> Result {
    let Some(b) = backend(canvas) else { return Ok(()) };
    let root = b.into_drawing_area();
    root.fill(&WHITE)?;
    let start = h.start();
    let end = h.now().max(start + 1e-3);
    let level = |p: Phase| match p {
        Phase::Wake => 2.0,
        Phase::Nrem => 1.0,
        Phase::Rem => 0.0,
    };
    let mut chart =
        ChartBuilder::on(&root).margin(6).x_label_area_size(34).y_label_area_size(46).build_cartesian_2d(start..end, -0.5f64..2.5f64)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .y_labels(3)
        .y_label_formatter(&|v| match v.round() as i32 {
            2 => "Wake".into(),
            1 => "NREM".into(),
            0 => "REM".into(),
            _ => String::new(),
        })
        .x_desc("seconds of training")
        .x_labels(7)
        .x_label_formatter(&|v| if end < 10.0 { format!("{v:.1}") } else { format!("{v:.0}") })
        .label_style(("sans-serif", 11))
        .draw()?;
    chart.draw_series(h.segments().filter(|s| s.end >= start).map(|s| {
        let y = level(s.phase);
        Rectangle::new([(s.start.max(start), y - 0.35), (s.end, y + 0.35)], phase_colour(s.phase).filled())
    }))?;
    root.present()?;
    Ok(())
}

/// Accuracy under tile-4 occlusion (0–100 %) of the latest evaluation, with the one before dashed.
pub fn occlusion(canvas: &HtmlCanvasElement, latest: &EvaluationView, before: Option<&EvaluationView>) -> Result {
    let Some(b) = backend(canvas) else { return Ok(()) };
    let root = b.into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .margin(8)
        .x_label_area_size(36)
        .y_label_area_size(40)
        .caption("Robustness to occlusion (stable probe, test accuracy %)", ("sans-serif", 14))
        .build_cartesian_2d(0f32..100f32, 0f32..100f32)?;
    chart.configure_mesh().x_desc("occluded tiles (%)").light_line_style(WHITE.mix(0.0)).label_style(("sans-serif", 11)).draw()?;
    let pts = |e: &EvaluationView| e.occlusion.iter().map(|&(l, _, s)| (l * 100.0, s * 100.0)).collect::<Vec<_>>();
    let label = |e: &EvaluationView| format!("{}, epoch {}", e.variant.label(), e.epoch);
    if let Some(b) = before {
        chart
            .draw_series(DashedLineSeries::new(pts(b), 6, 4, PROBE_COLOURS[1].stroke_width(2)))?
            .label(label(b))
            .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], PROBE_COLOURS[1].stroke_width(2)));
    }
    chart
        .draw_series(LineSeries::new(pts(latest), PROBE_COLOURS[0].stroke_width(2)))?
        .label(label(latest))
        .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], PROBE_COLOURS[0].stroke_width(2)));
    chart.draw_series(pts(latest).into_iter().map(|p| Circle::new(p, 3, PROBE_COLOURS[0].filled())))?;
    chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK.mix(0.2)).label_font(("sans-serif", 11)).draw()?;
    root.present()?;
    Ok(())
}

/// Test latents in their first two principal components, coloured by class; open circles are the
/// 30 %-occluded versions of the same images; a black triangle where a drawing lands (`marker`).
pub fn latent_map(canvas: &HtmlCanvasElement, e: &EvaluationView, marker: Option<(f32, f32)>) -> Result {
    let Some(b) = backend(canvas) else { return Ok(()) };
    let root = b.into_drawing_area();
    root.fill(&WHITE)?;
    let range = |k: usize| {
        let along = |p: (f32, f32)| if k == 0 { p.0 } else { p.1 };
        let points = e.pca.iter().map(|p| along((p.0, p.1))).chain(marker.map(along));
        let (lo, hi) = points.fold((f32::MAX, f32::MIN), |(a, b), v| (a.min(v), b.max(v)));
        if lo < hi { lo..hi } else { -1.0..1.0 }
    };
    let mut chart = ChartBuilder::on(&root)
        .margin(8)
        .x_label_area_size(30)
        .y_label_area_size(36)
        .caption(
            format!(
                "Test latents, PCA ({:.0} % + {:.0} % of variance); rings: 30 % occluded",
                e.explained[0] * 100.0,
                e.explained[1] * 100.0
            ),
            ("sans-serif", 13),
        )
        .build_cartesian_2d(range(0), range(1))?;
    chart.configure_mesh().light_line_style(WHITE.mix(0.0)).label_style(("sans-serif", 10)).draw()?;
    let colour = |class: u8| Palette99::pick(class as usize).to_rgba();
    chart.draw_series(e.pca.iter().filter(|p| !p.3).map(|p| Circle::new((p.0, p.1), 2, colour(p.2).filled())))?;
    chart.draw_series(e.pca.iter().filter(|p| p.3).map(|p| Circle::new((p.0, p.1), 3, colour(p.2).stroke_width(1))))?;
    if let Some(m) = marker {
        chart.draw_series(std::iter::once(TriangleMarker::new(m, 9, BLACK.filled())))?;
        chart.draw_series(std::iter::once(Text::new(" your drawing", m, ("sans-serif", 12).into_font().color(&BLACK))))?;
    }
    root.present()?;
    Ok(())
}
