//! The checkpoint fuzz target's body (needs Burn: feature `checkpoint` of the fuzz crate,
//! `trainer` of the project): the header alone, then the whole file onto the CPU device. Either
//! an error with a message, or a model whose header passed every check.

/// A checkpoint file from a stranger.
pub fn checkpoint(data: &[u8]) {
    use pad::train::checkpoint;
    match checkpoint::read_header(data) {
        Ok(h) => assert!(h.channels == 1 || h.channels == 3),
        Err(e) => assert!(!e.to_string().trim().is_empty()),
    }
    match checkpoint::from_bytes(data, &burn::tensor::Device::flex()) {
        Ok((trainer, header)) => assert_eq!(trainer.epochs_done(), header.epoch),
        Err(e) => assert!(!e.to_string().trim().is_empty()),
    }
    if let Ok(snapshot) = checkpoint::weights_only_half(data) {
        checkpoint::read_header(&snapshot).expect("a snapshot of a readable checkpoint reads back");
    }
}
