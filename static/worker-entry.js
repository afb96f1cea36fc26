// The training worker's first script (the page starts it: src/web/ui/client.rs). It adjusts the
// browser's WebGPU objects for Burn, then loads trunk's loader (worker.js and its WebAssembly).
//
// timestamp-query. cubecl-wgpu 0.11.3 panics on its first stream in WebAssembly when the adapter
// lacks this feature (compute/stream.rs, `Timings::system`: "Cannot profile on web assembly
// without timestamp_query"), although the feature only serves profiling, which this app never
// does. When the adapter reports it, cubecl marks its timing "unclaimed" and creates no query set
// and no timestamp write until a profile starts — none ever does. So, on an adapter without it:
// the adapter's feature set answers `has("timestamp-query")` with true (wgpu reads features only
// through `has`), and `requestDevice` drops it from the features the device must have, so the
// device is created with what the adapter really offers. `self.padTimestampQueryEmulated` tells
// the trainer (src/web/device.rs), which says so on the page.
(() => {
  if (typeof GPUSupportedFeatures === 'undefined' || typeof GPUAdapter === 'undefined') return;
  const FEATURE = 'timestamp-query';
  const has = GPUSupportedFeatures.prototype.has;
  GPUSupportedFeatures.prototype.has = function (name) {
    if (has.call(this, name)) return true;
    if (name !== FEATURE) return false;
    self.padTimestampQueryEmulated = true;
    return true;
  };
  const requestDevice = GPUAdapter.prototype.requestDevice;
  GPUAdapter.prototype.requestDevice = function (descriptor) {
    const required = descriptor?.requiredFeatures;
    if (required && !has.call(this.features, FEATURE)) {
      descriptor = { ...descriptor, requiredFeatures: [...required].filter((f) => f !== FEATURE) };
    }
    return requestDevice.call(this, descriptor);
  };
  self.padGpuShim = true;
})();

importScripts('./worker_loader.js');
