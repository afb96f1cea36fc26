//! The lowered convolutions as a Burn backend extension (`#[backend_extension]`): the operation on
//! the CPU backend (Flex) and its handwritten backward pass (`Autodiff<Flex>`).
//!
//! A transposed convolution is the input gradient of the convolution it mirrors — the same
//! geometry with input and output swapped — so both layers reduce to the three products of
//! [`lowering`], and each one's backward pass is the other's forward pass plus a weight gradient:
//!
//! | | forward | input gradient | weight gradient |
//! | --- | --- | --- | --- |
//! | convolution | conv of `x` | conv's input gradient of `dy` | pairs `dy` with `x`'s patches |
//! | transposed convolution | conv's input gradient of `x` | conv of `dy` | pairs `x` with `dy`'s patches |
//!
//! ([`lowering::backward`] and [`lowering::transposed_backward`] compute a layer's two gradients
//! in one pass over its blocks, sharing what both products read.)

use super::lowering::{self, Geometry};
use burn::backend::autodiff::NodeId;
use burn::backend::autodiff::checkpoint::{base::Checkpointer, strategy::CheckpointStrategy};
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::{Autodiff, Backend, Flex, TensorMetadata, backend_extension, tensor::FloatTensor};
use burn::tensor::TensorData;
use std::borrow::Cow;

/// Convolutions of PAD's shape (square kernel, one stride and padding on every side, a bias) as
/// large matrix products. Only the CPU backend implements it; `super` decides when it runs.
#[backend_extension(Flex, Autodiff)]
pub trait LoweredConv: Backend {
    /// `leaky(x (B, C, H, W) ⋆ weight (O, C, k, k) + bias (O))` → (B, O, P, Q), where `leaky` is
    /// LeakyReLU with negative slope `slope` (1: none) — fused, as its backward pass is.
    fn lowered_conv2d(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        stride: usize,
        padding: usize,
        slope: f32,
    ) -> FloatTensor<Self>;

    /// The transposed convolution of `x (B, I, H, W)` with `weight (I, O, k, k)` plus `bias (O)`
    /// → (B, O, (H−1)·s − 2·pad + k, …), no output padding; then LeakyReLU as above.
    fn lowered_conv_transpose2d(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        stride: usize,
        padding: usize,
        slope: f32,
    ) -> FloatTensor<Self>;
}

/// The geometry of a convolution from its input and weight shapes.
fn conv_geometry(x: &impl TensorMetadata, weight: &impl TensorMetadata, stride: usize, padding: usize) -> Geometry {
    let (x, w) = (x.shape(), weight.shape());
    Geometry { batch: x[0], channels: x[1], height: x[2], width: x[3], filters: w[0], kernel: w[2], stride, padding }
}

/// The geometry of the convolution a transposed convolution mirrors: its input is the transposed
/// convolution's output, its filters the transposed convolution's input channels.
fn transposed_geometry(x: &impl TensorMetadata, weight: &impl TensorMetadata, stride: usize, padding: usize) -> Geometry {
    let (x, w) = (x.shape(), weight.shape());
    let side = |n: usize| ((n - 1) * stride + w[2]).saturating_sub(2 * padding);
    Geometry { batch: x[0], channels: w[1], height: side(x[2]), width: side(x[3]), filters: x[1], kernel: w[2], stride, padding }
}

/// A CPU tensor's `f32` values in order, borrowed when already contiguous.
pub(crate) fn values(t: &FlexTensor) -> Cow<'_, [f32]> {
    match t.as_slice::<f32>() {
        Some(v) => Cow::Borrowed(v),
        None => Cow::Owned(t.to_contiguous().as_slice::<f32>().expect("contiguous f32").to_vec()),
    }
}

fn flex(values: Vec<f32>, shape: [usize; 4]) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, shape))
}

fn bias(values: Vec<f32>) -> FlexTensor {
    let n = values.len();
    FlexTensor::from_data(TensorData::new(values, [n]))
}

fn conv_input_shape(g: &Geometry) -> [usize; 4] {
    [g.batch, g.channels, g.height, g.width]
}

fn conv_output_shape(g: &Geometry) -> [usize; 4] {
    [g.batch, g.filters, g.out_height(), g.out_width()]
}

fn weight_shape(g: &Geometry) -> [usize; 4] {
    [g.filters, g.channels, g.kernel, g.kernel]
}

impl LoweredConv for Flex {
    fn lowered_conv2d(x: FlexTensor, weight: FlexTensor, b: FlexTensor, stride: usize, padding: usize, slope: f32) -> FlexTensor {
        let g = conv_geometry(&x, &weight, stride, padding);
        let y = lowering::forward(&g, &values(&x), &values(&weight), Some(&values(&b)), slope);
        flex(y, conv_output_shape(&g))
    }

    fn lowered_conv_transpose2d(x: FlexTensor, weight: FlexTensor, b: FlexTensor, stride: usize, padding: usize, slope: f32) -> FlexTensor {
        let g = transposed_geometry(&x, &weight, stride, padding);
        let y = lowering::input_grad(&g, &values(&x), &values(&weight), Some(&values(&b)), slope);
        flex(y, conv_input_shape(&g))
    }
}

/// Which of the two lowered layers an autodiff node is: they differ only in which product is the
/// forward pass, and so in which gradient comes out in which shape.
#[derive(Clone, Copy, Debug)]
enum Layer {
    Conv,
    Transposed,
}

impl Layer {
    fn geometry(self, x: &impl TensorMetadata, weight: &impl TensorMetadata, stride: usize, padding: usize) -> Geometry {
        match self {
            Layer::Conv => conv_geometry(x, weight, stride, padding),
            Layer::Transposed => transposed_geometry(x, weight, stride, padding),
        }
    }

    fn forward(self, x: FlexTensor, weight: FlexTensor, b: FlexTensor, stride: usize, padding: usize, slope: f32) -> FlexTensor {
        match self {
            Layer::Conv => Flex::lowered_conv2d(x, weight, b, stride, padding, slope),
            Layer::Transposed => Flex::lowered_conv_transpose2d(x, weight, b, stride, padding, slope),
        }
    }
}

/// What a lowered layer's backward pass needs: its input and weight, saved by the autodiff graph,
/// which layer it is and the convolution's geometry, and the activation's slope with the layer's
/// output when there is one (its sign is its input's: LeakyReLU's gradient).
type Saved = (NodeId, NodeId, Layer, Geometry, f32, Option<FlexTensor>);

#[derive(Debug)]
struct LoweredBackward;

impl Backward<Flex, 3> for LoweredBackward {
    type State = Saved;

    fn backward(self, ops: Ops<Saved, 3>, grads: &mut Gradients, checkpointer: &mut Checkpointer) {
        let [node_x, node_w, node_b] = ops.parents;
        let dy = grads.consume::<Flex>(&ops.node);
        let (x, w, layer, g, slope, y) = ops.state;
        let x: FlexTensor = checkpointer.retrieve_node_output(x);
        let w: FlexTensor = checkpointer.retrieve_node_output(w);
        let dy = values(&dy);
        let dy = match &y {
            Some(y) => lowering::leaky_grad(&dy, &values(y), slope),
            None => Cow::Borrowed(&*dy),
        };
        let (x, w, (input, weight)) = (values(&x), values(&w), (node_x.is_some(), node_w.is_some()));
        // (gradients, the input's shape, the output's channels)
        let ((dx, dw), x_shape, out_channels) = match layer {
            Layer::Conv => (lowering::backward(&g, &x, &dy, &w, input, weight), conv_input_shape(&g), g.filters),
            Layer::Transposed => (lowering::transposed_backward(&g, &x, &dy, &w, input, weight), conv_output_shape(&g), g.channels),
        };
        if let (Some(node), Some(dx)) = (node_x, dx) {
            grads.register::<Flex>(node.id, flex(dx, x_shape));
        }
        if let (Some(node), Some(dw)) = (node_w, dw) {
            grads.register::<Flex>(node.id, flex(dw, weight_shape(&g)));
        }
        if let Some(node) = node_b {
            grads.register::<Flex>(node.id, bias(lowering::channel_sums(&dy, g.batch, out_channels)));
        }
    }
}

/// A lowered layer on the autodiff backend: its forward pass on Flex, recorded with what its
/// backward pass needs when any input is tracked.
fn record<C: CheckpointStrategy>(
    layer: Layer,
    x: FloatTensor<Autodiff<Flex, C>>,
    weight: FloatTensor<Autodiff<Flex, C>>,
    b: FloatTensor<Autodiff<Flex, C>>,
    stride: usize,
    padding: usize,
    slope: f32,
) -> FloatTensor<Autodiff<Flex, C>> {
    let g = layer.geometry(&x, &weight, stride, padding);
    match LoweredBackward.prepare::<C>([x.node(), weight.node(), b.node()]).compute_bound().stateful() {
        OpsKind::Tracked(mut prep) => {
            let (xs, ws) = (prep.checkpoint(&x), prep.checkpoint(&weight));
            let y = layer.forward(x.into_primitive(), weight.into_primitive(), b.into_primitive(), stride, padding, slope);
            prep.finish((xs, ws, layer, g, slope, (slope != 1.0).then(|| y.clone())), y)
        }
        OpsKind::UnTracked(prep) => {
            prep.finish(layer.forward(x.into_primitive(), weight.into_primitive(), b.into_primitive(), stride, padding, slope))
        }
    }
}

impl<C: CheckpointStrategy> LoweredConv for Autodiff<Flex, C> {
    fn lowered_conv2d(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        b: FloatTensor<Self>,
        stride: usize,
        padding: usize,
        slope: f32,
    ) -> FloatTensor<Self> {
        record::<C>(Layer::Conv, x, weight, b, stride, padding, slope)
    }

    fn lowered_conv_transpose2d(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        b: FloatTensor<Self>,
        stride: usize,
        padding: usize,
        slope: f32,
    ) -> FloatTensor<Self> {
        record::<C>(Layer::Transposed, x, weight, b, stride, padding, slope)
    }
}
