//! The checkpoint format, shared by the CLI and the browser: a burnpack container (Burn's record
//! store) holding
//! - metadata `pad`: a JSON [`CheckpointHeader`] (format version, config, variant, image shape,
//!   epoch, metrics history, dataset);
//! - tensors `encoder.<path>` and `generator.<path>` (the weights, f32 — or f16 in a weights-only
//!   snapshot, see [`weights_only_half`]);
//! - tensors `adam.<net>.<path>.m1|m2` and scalars `adam.<net>.<path>.time` (the Adam state of
//!   every parameter that has had a gradient, so training resumes exactly; absent from a
//!   weights-only snapshot, whose training continues with a fresh optimizer).
//!
//! Parameters are read back with one async transaction, so saving never reads synchronously from
//! a GPU; loading only uploads, onto whatever device the caller names.

use super::optimizer::MomentState;
use super::{EpochRecord, TrainConfig, Trainer};
use crate::Error;
use crate::model::ModelShape;
use crate::shared::knobs::KnobChange;
use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::prelude::*;
use burn::tensor::Transaction;
use burn_pack::{Bytes, DType, Reader, Scalar, Writer};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

pub const FORMAT: &str = "pad-checkpoint";
pub const VERSION: u32 = 1;
const META_KEY: &str = "pad";

/// Everything about a checkpoint that is not a tensor.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckpointHeader {
    pub format: String,
    pub version: u32,
    pub config: TrainConfig,
    pub channels: usize,
    pub latent: usize,
    pub image_side: usize,
    /// Epochs completed.
    pub epoch: usize,
    /// Name of the dataset it was trained on, and its class names.
    pub dataset: String,
    pub classes: Vec<String>,
    pub history: Vec<EpochRecord>,
    /// The knob changes made during the run, in order (absent in checkpoints of runs without).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<KnobChange>,
}

/// Collects (name, tensor) pairs of a module's float parameters, with their paths.
struct Collect<'a> {
    prefix: &'a str,
    path: Vec<String>,
    out: Vec<(String, Tensor<1>, Vec<usize>)>,
}

impl ModuleVisitor for Collect<'_> {
    fn enter_module(&mut self, name: &str, _: &str) {
        self.path.push(name.to_string());
    }
    fn exit_module(&mut self, _: &str, _: &str) {
        self.path.pop();
    }
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let t = param.val().inner();
        let shape = t.dims().to_vec();
        let n: usize = shape.iter().product();
        self.out.push((format!("{}.{}", self.prefix, self.path.join(".")), t.reshape([n]), shape));
    }
}

fn params<M: Module>(prefix: &str, m: &M) -> Vec<(String, Tensor<1>, Vec<usize>)> {
    let mut c = Collect { prefix, path: Vec::new(), out: Vec::new() };
    m.visit(&mut c);
    c.out
}

/// Little-endian bytes of `v`: its own allocation where the machine is little-endian (wasm, x86,
/// ARM), so that a checkpoint of tens of MB is not copied once more (in the browser the worker's
/// heap never shrinks: every copy raises its high-water mark).
fn f32_bytes(v: Vec<f32>) -> Bytes {
    if cfg!(target_endian = "little") {
        Bytes::from_elems(v)
    } else {
        Bytes::from_bytes_vec(v.iter().flat_map(|x| x.to_le_bytes()).collect())
    }
}

/// A named tensor read back: (name, shape, values).
pub type HostTensor = (String, Vec<usize>, Vec<f32>);

/// Read named flat tensors back in one transaction (async).
async fn read_named(named: Vec<(String, Tensor<1>, Vec<usize>)>) -> Result<Vec<HostTensor>, Error> {
    let mut tx = Transaction::default();
    for (_, t, _) in &named {
        tx = tx.register(t.clone());
    }
    let data = tx.execute_async().await.map_err(|e| Error::Device(format!("{e:?}")))?;
    named
        .into_iter()
        .zip(data)
        .map(|((name, _, shape), d)| {
            // Into, not to: the read-back buffer becomes the vector (no copy).
            let v = d.convert::<f32>().try_into_vec::<f32>().map_err(|e| Error::Device(format!("{e:?}")))?;
            Ok((name, shape, v))
        })
        .collect()
}

/// The weights of E and G as `encoder.<path>` / `generator.<path>` (PyTorch's layouts: conv
/// (out, in, k, k), transposed conv (in, out, k, k)), read back in one transaction (async).
pub async fn weights(trainer: &Trainer) -> Result<Vec<HostTensor>, Error> {
    let mut named = params("encoder", &trainer.encoder);
    named.extend(params("generator", &trainer.generator));
    read_named(named).await
}

/// Serialise a trainer (async: reads every tensor back in one transaction).
pub async fn to_bytes(trainer: &Trainer, dataset: &str, classes: &[String], history: &[EpochRecord]) -> Result<Vec<u8>, Error> {
    let mut named: Vec<(String, Tensor<1>, Vec<usize>)> = params("encoder", &trainer.encoder);
    named.extend(params("generator", &trainer.generator));
    let mut scalars = Vec::new();
    for (net, opt) in [("encoder", &trainer.opt_e), ("generator", &trainer.opt_g)] {
        for (path, s) in opt.state() {
            let key = format!("adam.{net}.{path}");
            let n = s.moment_1.dims()[0];
            named.push((format!("{key}.m1"), s.moment_1.clone(), vec![n]));
            named.push((format!("{key}.m2"), s.moment_2.clone(), vec![n]));
            scalars.push((format!("{key}.time"), s.time));
        }
    }
    // Where a tensor can be read synchronously (the CPU backend; anything native), each is read
    // as the writer reaches it and dropped before the next: the save's peak is the file plus one
    // tensor, not the file twice (in the browser, the worker's heap keeps its peak for good).
    // WebGPU in the browser must never be read synchronously: there, all are read first (async).
    let sync = cfg!(not(target_family = "wasm")) || *trainer.device() == Device::flex();
    let tensors = if sync {
        named
            .into_iter()
            .map(|(name, t, shape)| {
                let len = shape.iter().product::<usize>() * std::mem::size_of::<f32>();
                let what = name.clone();
                burn_pack::Tensor::deferred(name, DType::F32, shape, None, len, move || {
                    let v = t.clone().into_data().convert::<f32>().try_into_vec::<f32>();
                    v.map(f32_bytes).map_err(|e| burn_pack::Error::IoError(format!("{what}: {e:?}")))
                })
            })
            .collect()
    } else {
        read_named(named)
            .await?
            .into_iter()
            .map(|(name, shape, v)| burn_pack::Tensor::new(name, DType::F32, shape, None, f32_bytes(v)))
            .collect()
    };
    let shape = trainer.shape();
    let header = CheckpointHeader {
        format: FORMAT.into(),
        version: VERSION,
        config: trainer.config().clone(),
        channels: shape.channels,
        latent: shape.latent,
        image_side: ModelShape::SIDE,
        epoch: trainer.epochs_done(),
        dataset: dataset.into(),
        classes: classes.to_vec(),
        history: history.to_vec(),
        changes: trainer.changes().to_vec(),
    };
    let json = serde_json::to_string(&header).map_err(|e| Error::Checkpoint(e.to_string()))?;
    let mut w = Writer::new(tensors).with_metadata(META_KEY, &json);
    for (k, t) in scalars {
        w = w.with_scalar(&k, Scalar::from(t as u64));
    }
    encode(w)
}

/// The container's bytes, written into one vector of its exact size. Not `Writer::into_bytes`:
/// its `Bytes` is re-aligned (a copy) and then cannot become a `Vec<u8>` (another), so a save
/// held the file three times at once — in the browser's worker, 80 MB more heap for good.
fn encode(w: Writer) -> Result<Vec<u8>, Error> {
    let fail = |e: burn_pack::Error| Error::Checkpoint(format!("cannot encode: {e}"));
    let mut bytes = vec![0; w.size().map_err(fail)?];
    w.write_into(&mut bytes).map_err(fail)?;
    Ok(bytes)
}

/// A file's bytes as the reader takes them: the vector itself (`Bytes::from_bytes_vec` would copy
/// it to re-align it, and nothing here needs more than byte alignment: tensors are decoded from
/// bytes, `values`).
fn file_bytes(bytes: Vec<u8>) -> Bytes {
    Bytes::from_elems(bytes)
}

/// Read only the header of a checkpoint, checking its format and version.
pub fn read_header(bytes: &[u8]) -> Result<CheckpointHeader, Error> {
    let reader =
        Reader::from_bytes(Bytes::from_bytes_vec(bytes.to_vec())).map_err(|e| Error::Checkpoint(format!("not a PAD checkpoint ({e})")))?;
    header_of(&reader)
}

fn header_of(reader: &Reader) -> Result<CheckpointHeader, Error> {
    let json = reader
        .metadata()
        .get(META_KEY)
        .ok_or_else(|| Error::Checkpoint("not a PAD checkpoint (a burnpack file without PAD metadata)".into()))?;
    let v: serde_json::Value = serde_json::from_str(json).map_err(|e| Error::Checkpoint(format!("unreadable header ({e})")))?;
    if v.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
        return Err(Error::Checkpoint("not a PAD checkpoint".into()));
    }
    match v.get("version").and_then(|f| f.as_u64()) {
        Some(x) if x == VERSION as u64 => {}
        Some(x) => {
            return Err(Error::Checkpoint(format!("format version {x} is not supported by this program (it reads version {VERSION})")));
        }
        None => return Err(Error::Checkpoint("header has no format version".into())),
    }
    let h: CheckpointHeader = serde_json::from_value(v).map_err(|e| Error::Checkpoint(format!("unreadable header ({e})")))?;
    h.config.validate().map_err(|e| Error::Checkpoint(e.to_string()))?;
    if h.image_side != ModelShape::SIDE || !(h.channels == 1 || h.channels == 3) || h.latent != h.config.latent {
        return Err(Error::Checkpoint(format!(
            "unsupported model shape {}×{}×{} with latent {}",
            h.channels, h.image_side, h.image_side, h.latent
        )));
    }
    Ok(h)
}

/// The stored tensors by name, not decoded yet: views of the file's bytes (no copy).
type Stored = HashMap<String, burn_pack::Tensor>;

/// Puts stored values into a module's parameters, checking every name and shape. Each tensor is
/// decoded as its parameter is reached and taken from the map, and the parameter's initial value
/// is dropped as it is replaced: the load holds the file, the model and one tensor — not the
/// file, every tensor decoded, a freshly initialised model and the loaded one at once (a
/// WebAssembly heap keeps its high-water mark for good: the pretrained snapshot's load raised the
/// ready page's trainer from ~30 to ~46 MB).
struct Load<'a> {
    prefix: &'a str,
    path: Vec<String>,
    tensors: &'a mut Stored,
    error: Option<Error>,
}

impl ModuleMapper for Load<'_> {
    fn enter_module(&mut self, name: &str, _: &str) {
        self.path.push(name.to_string());
    }
    fn exit_module(&mut self, _: &str, _: &str) {
        self.path.pop();
    }
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let name = format!("{}.{}", self.prefix, self.path.join("."));
        let dims = param.val().dims().to_vec();
        let decoded = match self.tensors.remove(&name) {
            Some(t) if t.shape.iter().eq(dims.iter()) => values(&t),
            Some(t) => Err(Error::Checkpoint(format!("'{name}' has shape {:?}, the model needs {dims:?}", t.shape.to_vec()))),
            None => Err(Error::Checkpoint(format!("'{name}' is missing"))),
        };
        match decoded {
            Ok((shape, v)) if self.error.is_none() => param.map(|t| {
                let (device, grad) = (t.device(), t.is_require_grad());
                drop(t);
                let new = Tensor::<D>::from_data(TensorData::new(v, shape), &device);
                if grad { new.require_grad() } else { new }
            }),
            Ok(_) => param,
            Err(e) => {
                self.error.get_or_insert(e);
                param
            }
        }
    }
}

fn load_into<M: Module>(prefix: &str, m: M, tensors: &mut Stored) -> Result<M, Error> {
    let mut l = Load { prefix, path: Vec::new(), tensors, error: None };
    let m = m.map(&mut l);
    match l.error {
        Some(e) => Err(e),
        None => Ok(m),
    }
}

fn open(bytes: &[u8]) -> Result<(Reader, CheckpointHeader), Error> {
    let reader =
        Reader::from_bytes(file_bytes(bytes.to_vec())).map_err(|e| Error::Checkpoint(format!("not a PAD checkpoint or corrupt ({e})")))?;
    let header = header_of(&reader)?;
    Ok((reader, header))
}

/// The stored tensors, refusing a container whose tensors claim more bytes than the file holds
/// (entries may point at the same bytes: a 12 MB file could otherwise ask for terabytes).
fn tensors(reader: Reader, file_len: usize) -> Result<Vec<burn_pack::Tensor>, Error> {
    let tensors = reader.into_tensors().map_err(|e| Error::Checkpoint(format!("corrupt tensor data ({e})")))?;
    let claimed = tensors.iter().try_fold(0usize, |sum, t| {
        let n = t.shape.iter().try_fold(t.dtype.size(), |n: usize, &d| n.checked_mul(d))?;
        sum.checked_add(n)
    });
    if claimed.is_none_or(|n| n > file_len) {
        return Err(Error::Checkpoint("corrupt: its tensors claim more bytes than the file holds".into()));
    }
    Ok(tensors)
}

/// A stored tensor's values as f32 (stored as f32 or f16), checked against its shape and for
/// NaN / infinity.
fn values(t: &burn_pack::Tensor) -> Result<(Vec<usize>, Vec<f32>), Error> {
    let shape: Vec<usize> = t.shape.iter().copied().collect();
    let raw = t.to_bytes().map_err(|e| Error::Checkpoint(format!("corrupt tensor '{}' ({e})", t.name)))?;
    let width = match t.dtype {
        DType::F32 => 4,
        DType::F16 => 2,
        other => return Err(Error::Checkpoint(format!("tensor '{}' is {other:?}, not f32 or f16", t.name))),
    };
    let expected = shape.iter().try_fold(width, |n: usize, &d| n.checked_mul(d));
    if expected != Some(raw.len()) {
        return Err(Error::Checkpoint(format!("tensor '{}' holds {} bytes for shape {shape:?}", t.name, raw.len())));
    }
    let v: Vec<f32> = if width == 4 {
        raw.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
    } else {
        raw.chunks_exact(2).map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32()).collect()
    };
    if v.iter().any(|x| !x.is_finite()) {
        return Err(Error::Checkpoint(format!("tensor '{}' holds NaN or infinite values", t.name)));
    }
    Ok((shape, v))
}

/// The weights of a checkpoint alone, in half precision, with its header (settings, epoch,
/// metrics): the page's pretrained snapshot, half the size of the f32 weights and a sixth of a
/// full checkpoint. Loading it gives the same model up to f16 rounding (relative 2⁻¹¹); training
/// it further starts a fresh Adam state.
pub fn weights_only_half(bytes: &[u8]) -> Result<Vec<u8>, Error> {
    let (reader, header) = open(bytes)?;
    let json = serde_json::to_string(&header).map_err(|e| Error::Checkpoint(e.to_string()))?;
    let mut out = Vec::new();
    for t in tensors(reader, bytes.len())? {
        if !(t.name.starts_with("encoder.") || t.name.starts_with("generator.")) {
            continue;
        }
        let (shape, v) = values(&t)?;
        if v.iter().any(|x| x.abs() > f32::from(half::f16::MAX)) {
            return Err(Error::Checkpoint(format!("tensor '{}' holds values beyond f16's range", t.name)));
        }
        let raw: Vec<u8> = v.iter().flat_map(|x| half::f16::from_f32(*x).to_le_bytes()).collect();
        out.push(burn_pack::Tensor::new(t.name.clone(), DType::F16, shape, None, Bytes::from_bytes_vec(raw)));
    }
    encode(Writer::new(out).with_metadata(META_KEY, &json))
}

/// Rebuild a trainer from checkpoint bytes on `device`. Nothing is changed on failure: the caller
/// keeps whatever model it had.
pub fn from_bytes(bytes: &[u8], device: &Device) -> Result<(Trainer, CheckpointHeader), Error> {
    let (reader, header) = open(bytes)?;
    load(reader, header, bytes.len(), device)
}

/// A checkpoint file opened: its header read and checked, its tensors not read yet. It takes the
/// file's bytes (no copy: in the browser a copy of a 40 MB file raises the worker's heap for good).
pub struct Opened {
    reader: Reader,
    pub header: CheckpointHeader,
    len: usize,
}

impl Opened {
    pub fn new(bytes: Vec<u8>) -> Result<Self, Error> {
        let len = bytes.len();
        let reader = Reader::from_bytes(file_bytes(bytes)).map_err(|e| Error::Checkpoint(format!("not a PAD checkpoint ({e})")))?;
        let header = header_of(&reader)?;
        Ok(Self { reader, header, len })
    }

    /// The model on `device`: every tensor checked.
    pub fn load(self, device: &Device) -> Result<(Trainer, CheckpointHeader), Error> {
        load(self.reader, self.header, self.len, device)
    }
}

fn load(reader: Reader, header: CheckpointHeader, file_len: usize, device: &Device) -> Result<(Trainer, CheckpointHeader), Error> {
    let scalars = reader.scalars().clone();
    let mut tensors: Stored = tensors(reader, file_len)?.into_iter().map(|t| (t.name.clone(), t)).collect();
    // The parameters' shapes, for their Adam moments (the parameters leave the map as they load).
    let shapes: HashMap<String, Vec<usize>> = tensors.iter().map(|(k, t)| (k.clone(), t.shape.to_vec())).collect();
    let mut trainer = Trainer::new(header.config.clone(), header.channels, device)?;
    // Moved out and back (not cloned): each initial parameter is freed as its stored value loads.
    let encoder = trainer.encoder;
    trainer.encoder = load_into("encoder", encoder, &mut tensors)?;
    let generator = trainer.generator;
    trainer.generator = load_into("generator", generator, &mut tensors)?;
    let inner = trainer.device().clone();
    for (net, opt) in [("encoder", &mut trainer.opt_e), ("generator", &mut trainer.opt_g)] {
        let mut state = BTreeMap::new();
        let prefix = format!("adam.{net}.");
        for (key, value) in scalars.iter().filter_map(|(k, v)| k.strip_prefix(&prefix).map(|k| (k, v))) {
            let Some(path) = key.strip_suffix(".time") else { continue };
            let time = u64::try_from(*value).map_err(|_| Error::Checkpoint(format!("bad step count for {path}")))? as usize;
            // Each moment must be a vector as long as its parameter.
            let param_shape = shapes
                .get(&format!("{net}.{path}"))
                .ok_or_else(|| Error::Checkpoint(format!("Adam state for unknown parameter '{net}.{path}'")))?;
            let len: usize = param_shape.iter().product();
            let mut moment = |m: &str| -> Result<Tensor<1>, Error> {
                let t = tensors
                    .remove(&format!("{prefix}{path}.{m}"))
                    .ok_or_else(|| Error::Checkpoint(format!("Adam state of '{path}' is incomplete")))?;
                let (shape, v) = values(&t)?;
                if shape[..] != [len] {
                    return Err(Error::Checkpoint(format!("Adam state '{path}.{m}' has shape {shape:?}, its parameter has {len} values")));
                }
                Ok(Tensor::from_data(TensorData::new(v, [len]), &inner))
            };
            state.insert(path.to_string(), MomentState { time, moment_1: moment("m1")?, moment_2: moment("m2")?, max_moment_2: None });
        }
        opt.set_state(state);
    }
    // Whatever else the file holds is checked too (decoded one at a time).
    for t in tensors.values() {
        values(t)?;
    }
    trainer.epoch = header.epoch;
    trainer.changes = header.changes.clone();
    Ok((trainer, header))
}

/// Write a file atomically: a temporary file in the same folder, flushed, then renamed over the
/// destination, so a crash never leaves a half-written checkpoint.
#[cfg(not(target_family = "wasm"))]
pub fn write_atomic(path: &std::path::Path, bytes: &[u8]) -> Result<(), Error> {
    use std::io::Write;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    let tmp = dir.join(format!(".{}.tmp", path.file_name().and_then(|n| n.to_str()).unwrap_or("checkpoint")));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(format!("cannot write {}", path.display()), e)
    })
}
