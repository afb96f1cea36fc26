//! A 2-D PCA projection of latents for plotting (the paper's Fig. 6 visualisation), computed on
//! the host from latents read back once.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Projection {
    /// (pc1, pc2) per latent, in input order.
    pub points: Vec<[f32; 2]>,
    /// Fraction of the total variance along each component.
    pub explained: [f32; 2],
    /// What projects a latent: the mean and the two components (kept to place new latents on the
    /// same map, e.g. a drawing).
    #[serde(skip)]
    pub basis: Basis,
}

/// The mean and the first two principal components of a PCA.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Basis {
    pub mean: Vec<f64>,
    pub components: [Vec<f64>; 2],
}

impl Basis {
    /// (pc1, pc2) of one latent.
    pub fn project(&self, row: &[f32]) -> [f32; 2] {
        let p = |k: usize| row.iter().zip(&self.mean).zip(&self.components[k]).map(|((&v, m), c)| (v as f64 - m) * c).sum::<f64>() as f32;
        [p(0), p(1)]
    }
}

/// Project `n` rows of `dim` values onto their first two principal components (covariance +
/// power iteration with deflation; deterministic start vector).
pub fn pca2(values: &[f32], n: usize, dim: usize) -> Projection {
    assert_eq!(values.len(), n * dim, "values must be n × dim");
    let mut mean = vec![0f64; dim];
    for row in values.chunks_exact(dim) {
        for (m, &v) in mean.iter_mut().zip(row) {
            *m += v as f64;
        }
    }
    mean.iter_mut().for_each(|m| *m /= n.max(1) as f64);
    let mut cov = vec![0f64; dim * dim];
    for row in values.chunks_exact(dim) {
        let c: Vec<f64> = row.iter().zip(&mean).map(|(&v, m)| v as f64 - m).collect();
        for i in 0..dim {
            for j in i..dim {
                cov[i * dim + j] += c[i] * c[j];
            }
        }
    }
    for i in 0..dim {
        for j in 0..i {
            cov[i * dim + j] = cov[j * dim + i];
        }
    }
    let total: f64 = (0..dim).map(|i| cov[i * dim + i]).sum::<f64>().max(1e-30);
    let mut comps: Vec<Vec<f64>> = Vec::new();
    let mut eig = [0f64; 2];
    for (k, e) in eig.iter_mut().enumerate() {
        let mut v: Vec<f64> = (0..dim).map(|i| 1.0 + (i as f64 * 0.618 + k as f64).sin() * 0.5).collect();
        for _ in 0..500 {
            let mut w: Vec<f64> = (0..dim).map(|i| (0..dim).map(|j| cov[i * dim + j] * v[j]).sum()).collect();
            for c in &comps {
                let d: f64 = w.iter().zip(c).map(|(a, b)| a * b).sum();
                w.iter_mut().zip(c).for_each(|(a, b)| *a -= d * b);
            }
            let norm = w.iter().map(|a| a * a).sum::<f64>().sqrt();
            if norm < 1e-30 {
                break;
            }
            v = w.iter().map(|a| a / norm).collect();
            *e = norm;
        }
        comps.push(v);
    }
    let [c0, c1]: [Vec<f64>; 2] = comps.try_into().expect("two components");
    let basis = Basis { mean, components: [c0, c1] };
    let points = values.chunks_exact(dim).map(|row| basis.project(row)).collect();
    Projection { points, explained: [(eig[0] / total) as f32, (eig[1] / total) as f32], basis }
}
