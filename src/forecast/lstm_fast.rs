//! The LSTM's whole sequence, forward and backward through time, as one candle custom
//! op on the CPU: the fast path of `lstm` training.
//!
//! The plain `candle_nn::LSTM` builds about ten graph nodes per time step (two matmuls,
//! a chunk, four activations, the cell arithmetic), each allocating its result, and its
//! backward pass walks all of them. This op takes the raw input (batch, T), the input
//! weights and biases packed as (4H, 2), and `W_hh` (4H, H), and runs the recurrence
//! itself: per step one `gemm` for `h·W_hhᵀ` and fused, vectorizable gate arithmetic;
//! backward walks time in reverse with one `gemm` per step for `dh`, then one `gemm`
//! each over all steps for `dW_hh`, `dW_ih` and the bias. Working buffers come from a
//! pool, so a training loop stops allocating (and page-faulting) after its first batch.
//! The batch is split into two halves on two threads: a fixed split, so the summation
//! order, and so the result, does not depend on the machine's core count.
//!
//! Gate order and equations are PyTorch's (and candle's): `i, f, g, o`;
//! `c' = f·c + i·g`, `h' = o·tanh(c')`.

use std::sync::Mutex;

use candle_core::{CpuStorage, CustomOp3, Layout, Result, Shape, Tensor};

/// Fixed number of batch chunks (and threads) the op splits a batch into.
const CHUNKS: usize = 2;

/// Recycled f32 buffers.
static POOL: Mutex<Vec<Vec<f32>>> = Mutex::new(Vec::new());

/// A buffer of `len` from the pool when one is big enough (the smallest such, so each
/// size keeps reusing its own buffers: a big buffer lent for a small request comes back
/// short, and growing it again zero-fills megabytes). Its contents are whatever the last
/// user left: callers overwrite every element they read (see [`take_zeroed`]).
fn take(len: usize) -> Vec<f32> {
    let mut pool = POOL.lock().expect("not poisoned");
    let best = (0..pool.len())
        .filter(|&i| pool[i].capacity() >= len)
        .min_by_key(|&i| pool[i].capacity());
    let mut v = match best {
        Some(i) => pool.swap_remove(i),
        None => Vec::with_capacity(len),
    };
    drop(pool);
    // Only elements past the old length are written here; a reused buffer costs nothing.
    v.resize(len, 0.0);
    v.truncate(len);
    // In test builds every buffer starts as NaN, so a read before a write poisons the
    // results and the gradient tests fail.
    #[cfg(test)]
    v.fill(f32::NAN);
    v
}

/// A zeroed buffer of `len`.
fn take_zeroed(len: usize) -> Vec<f32> {
    let mut v = take(len);
    v.fill(0.0);
    v
}

/// Returns a buffer to the pool (the pool keeps at most a few dozen).
fn give(v: Vec<f32>) {
    let mut pool = POOL.lock().expect("not poisoned");
    if pool.len() < 32 {
        pool.push(v);
    }
}

/// Whether this CPU runs the AVX2 + FMA builds of the chunk loops (8 lanes instead of
/// SSE2's 4 for the gate arithmetic).
fn has_avx2_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// `dst (m×n) = [dst +] lhs (m×k) · rhs (k×n)` on f32 slices with explicit (row, column)
/// strides in elements; `dst` has column stride 1.
#[allow(clippy::too_many_arguments)]
fn matmul(
    (m, n, k): (usize, usize, usize),
    dst: &mut [f32],
    dst_rs: usize,
    accumulate: bool,
    lhs: &[f32],
    (lhs_rs, lhs_cs): (usize, usize),
    rhs: &[f32],
    (rhs_rs, rhs_cs): (usize, usize),
) {
    if m == 0 || n == 0 {
        return;
    }
    assert!((m - 1) * dst_rs + n <= dst.len(), "dst out of bounds");
    if k > 0 {
        assert!(
            (m - 1) * lhs_rs + (k - 1) * lhs_cs < lhs.len(),
            "lhs out of bounds"
        );
        assert!(
            (k - 1) * rhs_rs + (n - 1) * rhs_cs < rhs.len(),
            "rhs out of bounds"
        );
    }
    // SAFETY: the asserts above keep every element gemm touches inside the slices, and
    // `dst` does not alias `lhs` or `rhs` (it is borrowed mutably).
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            dst_rs as isize,
            accumulate,
            lhs.as_ptr(),
            lhs_cs as isize,
            lhs_rs as isize,
            rhs.as_ptr(),
            rhs_cs as isize,
            rhs_rs as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

/// `e^x` for f32, branch-free so loops over slices vectorize (Cephes' `expf`):
/// `x = r·ln 2 + f` with `r` rounded to an integer and `ln 2` split in two so `f` is exact,
/// a minimax polynomial for `e^f` on `|f| ≤ ln 2 / 2`, and `2^r` built in the exponent
/// bits. Relative error under 1e-6 (tested against libm).
#[inline(always)]
fn exp(x: f32) -> f32 {
    let x = x.clamp(-87.0, 87.0);
    // Round to nearest by the 1.5·2^23 trick (no libm call, vectorizes on SSE2).
    let r = (x * std::f32::consts::LOG2_E + 12_582_912.0) - 12_582_912.0;
    let f = x - r * 0.693_359_4 + r * 2.121_944_4e-4;
    let p = ((((1.987_569_2e-4 * f + 1.398_199_9e-3) * f + 8.333_452e-3) * f + 4.166_579_6e-2) * f
        + 0.166_666_65)
        * f
        + 0.5;
    let e_f = p * f * f + f + 1.0;
    // 2^r from the exponent bits: the low mantissa bits of 2^23 + 127 + r hold 127 + r.
    f32::from_bits((r + (8_388_608.0 + 127.0)).to_bits() << 23) * e_f
}

#[inline(always)]
fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + exp(-x))
}

#[inline(always)]
fn tanh(x: f32) -> f32 {
    1.0 - 2.0 / (exp(2.0 * x) + 1.0)
}

/// What one batch chunk's forward pass keeps for its backward pass.
#[derive(Debug, Default)]
struct ChunkCache {
    rows: usize,
    /// Activated gates `i, f, g, o` per (step, row): `T × rows × 4H`, time-major so each
    /// step's block is contiguous for its `gemm`.
    acts: Vec<f32>,
    /// Hidden state before each step, `h_{t−1}`: `T × rows × H`.
    h_prev: Vec<f32>,
    /// Cell state before each step, `c_{t−1}`: `T × rows × H`.
    c_prev: Vec<f32>,
    /// `tanh(c_t)` after each step: `T × rows × H`.
    tanh_c: Vec<f32>,
}

impl Drop for ChunkCache {
    fn drop(&mut self) {
        for v in [
            &mut self.acts,
            &mut self.h_prev,
            &mut self.c_prev,
            &mut self.tanh_c,
        ] {
            give(std::mem::take(v));
        }
    }
}

/// One LSTM layer over a whole sequence with zero initial state.
///
/// Inputs: `x` (batch, T), one feature per step; `wb` (4H, 2), the input weights in
/// column 0 and the summed biases in column 1; `w_hh` (4H, H). Output: the last hidden
/// state (batch, H).
#[derive(Debug)]
pub(crate) struct LstmSequence {
    hidden: usize,
    cache: Mutex<Vec<ChunkCache>>,
}

impl LstmSequence {
    /// Runs the op: `x` (batch, T), `w_ih` (4H, 1), `bias` (4H), `w_hh` (4H, H) → (batch, H).
    pub(crate) fn apply(x: &Tensor, w_ih: &Tensor, bias: &Tensor, w_hh: &Tensor) -> Result<Tensor> {
        let hidden = w_hh.dim(1)?;
        let wb = Tensor::cat(&[w_ih, &bias.reshape((4 * hidden, 1))?], 1)?;
        let op = Self {
            hidden,
            cache: Mutex::new(Vec::new()),
        };
        x.contiguous()?
            .apply_op3(&wb.contiguous()?, &w_hh.contiguous()?, op)
    }
}

/// Forward over one chunk of `rows` rows; writes the last hidden state to `out`.
#[inline(always)]
fn forward_chunk_impl(
    x: &[f32],
    wb: &[f32],
    w: &[f32],
    rows: usize,
    t_len: usize,
    h: usize,
    out: &mut [f32],
) -> ChunkCache {
    let g4 = 4 * h;
    let mut cache = ChunkCache {
        rows,
        acts: take(rows * t_len * g4),
        h_prev: take(rows * t_len * h),
        c_prev: take(rows * t_len * h),
        tanh_c: take(rows * t_len * h),
    };
    let w_in: Vec<f32> = (0..g4).map(|g| wb[2 * g]).collect();
    let bias: Vec<f32> = (0..g4).map(|g| wb[2 * g + 1]).collect();
    let mut c = take_zeroed(rows * h);
    // h_{−1} = 0 (never read by the t = 0 step's gemm, but read by backward's dW_hh).
    cache.h_prev[..rows * h].fill(0.0);
    for t in 0..t_len {
        // The step's input projection and biases, written just before its gemm adds to
        // them, while the step's block is in cache (a pass over every step first was a
        // quarter of this function's time, all cache misses).
        for b in 0..rows {
            let xv = x[b * t_len + t];
            let k = t * rows + b;
            let a = &mut cache.acts[k * g4..(k + 1) * g4];
            for ((v, w), bi) in a.iter_mut().zip(&w_in).zip(&bias) {
                *v = xv * w + bi;
            }
        }
        if t > 0 {
            // gates_t += h_{t−1} · W_hhᵀ: lhs rows are h_prev[b, t], rhs(j, g) = W[g, j].
            matmul(
                (rows, g4, h),
                &mut cache.acts[t * rows * g4..],
                g4,
                true,
                &cache.h_prev[t * rows * h..],
                (h, 1),
                w,
                (1, h),
            );
        }
        for b in 0..rows {
            let k = t * rows + b;
            let a = &mut cache.acts[k * g4..(k + 1) * g4];
            let (ifg, o) = a.split_at_mut(3 * h);
            let (i_f, g) = ifg.split_at_mut(2 * h);
            i_f.iter_mut().for_each(|v| *v = sigmoid(*v));
            g.iter_mut().for_each(|v| *v = tanh(*v));
            o.iter_mut().for_each(|v| *v = sigmoid(*v));
            let (i, f) = i_f.split_at(h);
            let cb = &mut c[b * h..(b + 1) * h];
            cache.c_prev[k * h..(k + 1) * h].copy_from_slice(cb);
            let tc = &mut cache.tanh_c[k * h..(k + 1) * h];
            for j in 0..h {
                cb[j] = f[j] * cb[j] + i[j] * g[j];
                tc[j] = tanh(cb[j]);
            }
            let h_new: &mut [f32] = if t + 1 < t_len {
                &mut cache.h_prev[(k + rows) * h..(k + rows + 1) * h]
            } else {
                &mut out[b * h..(b + 1) * h]
            };
            for j in 0..h {
                h_new[j] = o[j] * tc[j];
            }
        }
    }
    give(c);
    cache
}

/// Gradients of one chunk: `dW_hh` (4H × H) and `d(wb)` (4H × 2).
struct ChunkGrads {
    dw_hh: Vec<f32>,
    dwb: Vec<f32>,
}

/// One row's gate gradients at one step, from its activated gates `i, f, g, o`, the
/// cell state before the step, `tanh` of the one after, and `dh`; updates `dc` to the
/// step before. A function of its own so the slices are distinct arguments: inlined in a
/// loop over slices of one buffer, the compiler could not tell the outputs apart and ran
/// this scalar.
#[inline(always)]
fn gate_grads(
    [ai, af, ag, ao]: [&[f32]; 4],
    cp: &[f32],
    tc: &[f32],
    dh: &[f32],
    dc: &mut [f32],
    [di, df, dg, do_]: [&mut [f32]; 4],
) {
    let h = dc.len();
    let (ai, af, ag, ao, cp, tc, dh) = (
        &ai[..h],
        &af[..h],
        &ag[..h],
        &ao[..h],
        &cp[..h],
        &tc[..h],
        &dh[..h],
    );
    let (di, df, dg, do_) = (&mut di[..h], &mut df[..h], &mut dg[..h], &mut do_[..h]);
    for j in 0..h {
        let (i, f, g, o) = (ai[j], af[j], ag[j], ao[j]);
        let dc_j = dc[j] + dh[j] * o * (1.0 - tc[j] * tc[j]);
        di[j] = dc_j * g * i * (1.0 - i);
        df[j] = dc_j * cp[j] * f * (1.0 - f);
        dg[j] = dc_j * i * (1.0 - g * g);
        do_[j] = dh[j] * tc[j] * o * (1.0 - o);
        dc[j] = dc_j * f;
    }
}

/// Backward over one chunk from `dh_last` (rows × H).
#[inline(always)]
fn backward_chunk_impl(
    cache: &ChunkCache,
    x: &[f32],
    w: &[f32],
    dh_last: &[f32],
    t_len: usize,
    h: usize,
) -> ChunkGrads {
    let (rows, g4) = (cache.rows, 4 * h);
    let mut dgates = take(rows * t_len * g4);
    let mut dh = take(rows * h);
    dh.copy_from_slice(dh_last);
    let mut dc = take_zeroed(rows * h);
    for t in (0..t_len).rev() {
        for b in 0..rows {
            let k = t * rows + b;
            let a = &cache.acts[k * g4..(k + 1) * g4];
            let d = &mut dgates[k * g4..(k + 1) * g4];
            let (ai, af, ag, ao) = (&a[..h], &a[h..2 * h], &a[2 * h..3 * h], &a[3 * h..]);
            let (di, rest) = d.split_at_mut(h);
            let (df, rest) = rest.split_at_mut(h);
            let (dg, do_) = rest.split_at_mut(h);
            let cp = &cache.c_prev[k * h..(k + 1) * h];
            let tc = &cache.tanh_c[k * h..(k + 1) * h];
            let dhb = &dh[b * h..(b + 1) * h];
            let dcb = &mut dc[b * h..(b + 1) * h];
            gate_grads([ai, af, ag, ao], cp, tc, dhb, dcb, [di, df, dg, do_]);
        }
        if t > 0 {
            // dh_{t−1} = dgates_t · W_hh.
            matmul(
                (rows, h, g4),
                &mut dh,
                h,
                false,
                &dgates[t * rows * g4..],
                (g4, 1),
                w,
                (h, 1),
            );
        }
    }
    let steps = rows * t_len;
    // dW_hh = Σ_(row, step) dgatesᵀ · h_prev; dW_ih = Σ dgatesᵀ · x; dbias = Σ dgates.
    let mut dw_hh = vec![0.0f32; g4 * h];
    matmul(
        (g4, h, steps),
        &mut dw_hh,
        h,
        false,
        &dgates,
        (1, g4),
        &cache.h_prev,
        (h, 1),
    );
    // dW_ih and dbias directly, one pass over dgates in memory order with the 4H
    // accumulators vectorized: as a gemm its 2-column output ran in 16-row tiles of
    // which 2 rows were used (an eighth of the kernel's work useful).
    let mut dw_in = take_zeroed(g4);
    let mut dbias = take_zeroed(g4);
    for t in 0..t_len {
        for b in 0..rows {
            let k = t * rows + b;
            let xv = x[b * t_len + t];
            let d = &dgates[k * g4..(k + 1) * g4];
            for ((wi, bi), &dv) in dw_in.iter_mut().zip(dbias.iter_mut()).zip(d) {
                *wi += dv * xv;
                *bi += dv;
            }
        }
    }
    let mut dwb = vec![0.0f32; g4 * 2];
    for (g, pair) in dwb.chunks_exact_mut(2).enumerate() {
        pair[0] = dw_in[g];
        pair[1] = dbias[g];
    }
    for v in [dgates, dh, dc, dw_in, dbias] {
        give(v);
    }
    ChunkGrads { dw_hh, dwb }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn forward_chunk_avx2(
    x: &[f32],
    wb: &[f32],
    w: &[f32],
    rows: usize,
    t_len: usize,
    h: usize,
    out: &mut [f32],
) -> ChunkCache {
    forward_chunk_impl(x, wb, w, rows, t_len, h, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn backward_chunk_avx2(
    cache: &ChunkCache,
    x: &[f32],
    w: &[f32],
    dh_last: &[f32],
    t_len: usize,
    h: usize,
) -> ChunkGrads {
    backward_chunk_impl(cache, x, w, dh_last, t_len, h)
}

fn forward_chunk(
    x: &[f32],
    wb: &[f32],
    w: &[f32],
    rows: usize,
    t_len: usize,
    h: usize,
    out: &mut [f32],
) -> ChunkCache {
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        // SAFETY: the CPU has the features the function is compiled for.
        return unsafe { forward_chunk_avx2(x, wb, w, rows, t_len, h, out) };
    }
    forward_chunk_impl(x, wb, w, rows, t_len, h, out)
}

fn backward_chunk(
    cache: &ChunkCache,
    x: &[f32],
    w: &[f32],
    dh_last: &[f32],
    t_len: usize,
    h: usize,
) -> ChunkGrads {
    #[cfg(target_arch = "x86_64")]
    if has_avx2_fma() {
        // SAFETY: the CPU has the features the function is compiled for.
        return unsafe { backward_chunk_avx2(cache, x, w, dh_last, t_len, h) };
    }
    backward_chunk_impl(cache, x, w, dh_last, t_len, h)
}

/// Splits `rows` into at most `CHUNKS` contiguous, non-empty ranges.
fn chunk_rows(rows: usize) -> Vec<usize> {
    let n = CHUNKS.min(rows.max(1));
    (0..n)
        .map(|i| rows / n + usize::from(i < rows % n))
        .collect()
}

fn contiguous<'a>(s: &'a CpuStorage, l: &Layout) -> Result<&'a [f32]> {
    let Some((a, b)) = l.contiguous_offsets() else {
        candle_core::bail!("lstm-sequence: inputs must be contiguous");
    };
    Ok(&s.as_slice::<f32>()?[a..b])
}

impl CustomOp3 for LstmSequence {
    fn name(&self) -> &'static str {
        "lstm-sequence"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (rows, t_len) = l1.shape().dims2()?;
        let h = self.hidden;
        if l2.shape().dims2()? != (4 * h, 2) || l3.shape().dims2()? != (4 * h, h) || t_len == 0 {
            candle_core::bail!(
                "lstm-sequence: shapes {:?}, {:?}, {:?} do not fit hidden {h}",
                l1.shape(),
                l2.shape(),
                l3.shape()
            );
        }
        let (x, wb, w) = (
            contiguous(s1, l1)?,
            contiguous(s2, l2)?,
            contiguous(s3, l3)?,
        );
        let mut out = vec![0.0f32; rows * h];
        let caches: Vec<ChunkCache> = std::thread::scope(|scope| {
            let mut handles = Vec::new();
            let (mut xs, mut outs) = (x, out.as_mut_slice());
            for r in chunk_rows(rows) {
                let (x_here, x_rest) = xs.split_at(r * t_len);
                let (o_here, o_rest) = outs.split_at_mut(r * h);
                (xs, outs) = (x_rest, o_rest);
                handles
                    .push(scope.spawn(move || forward_chunk(x_here, wb, w, r, t_len, h, o_here)));
            }
            handles
                .into_iter()
                .map(|j| j.join().expect("lstm forward thread"))
                .collect()
        });
        *self.cache.lock().expect("not poisoned") = caches;
        Ok((CpuStorage::F32(out), Shape::from((rows, h))))
    }

    fn bwd(
        &self,
        x: &Tensor,
        wb: &Tensor,
        w_hh: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let (rows, t_len) = x.dims2()?;
        let h = self.hidden;
        let xs: Vec<f32> = x.flatten_all()?.to_vec1()?;
        let w: Vec<f32> = w_hh.flatten_all()?.to_vec1()?;
        let dh_last: Vec<f32> = grad.flatten_all()?.to_vec1()?;
        let caches = self.cache.lock().expect("not poisoned");
        if caches.iter().map(|c| c.rows).sum::<usize>() != rows {
            candle_core::bail!("lstm-sequence: backward without a matching forward");
        }
        let parts: Vec<ChunkGrads> = std::thread::scope(|scope| {
            let mut handles = Vec::new();
            let (mut x_rest, mut dh_rest) = (xs.as_slice(), dh_last.as_slice());
            for cache in caches.iter() {
                let (x_here, xr) = x_rest.split_at(cache.rows * t_len);
                let (dh_here, dr) = dh_rest.split_at(cache.rows * h);
                (x_rest, dh_rest) = (xr, dr);
                let w = &w;
                handles
                    .push(scope.spawn(move || backward_chunk(cache, x_here, w, dh_here, t_len, h)));
            }
            handles
                .into_iter()
                .map(|j| j.join().expect("lstm backward thread"))
                .collect()
        });
        let mut dw_hh = vec![0.0f32; 4 * h * h];
        let mut dwb = vec![0.0f32; 4 * h * 2];
        for p in &parts {
            dw_hh.iter_mut().zip(&p.dw_hh).for_each(|(a, b)| *a += b);
            dwb.iter_mut().zip(&p.dwb).for_each(|(a, b)| *a += b);
        }
        let dev = x.device();
        Ok((
            None,
            Some(Tensor::from_vec(dwb, wb.shape(), dev)?),
            Some(Tensor::from_vec(dw_hh, (4 * h, h), dev)?),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_the_batch() {
        assert_eq!(chunk_rows(256), vec![128, 128]);
        assert_eq!(chunk_rows(5), vec![3, 2]);
        assert_eq!(chunk_rows(1), vec![1]);
    }

    #[test]
    fn matmul_with_strides_matches_hand_product() {
        // [1 2; 3 4] · [5 6; 7 8]ᵀ = [17 23; 39 53]
        let a = [1.0, 2.0, 3.0, 4.0];
        let b = [5.0, 6.0, 7.0, 8.0];
        let mut d = [0.0; 4];
        matmul((2, 2, 2), &mut d, 2, false, &a, (2, 1), &b, (1, 2));
        assert_eq!(d, [17.0, 23.0, 39.0, 53.0]);
        // Accumulating adds the product again.
        matmul((2, 2, 2), &mut d, 2, true, &a, (2, 1), &b, (1, 2));
        assert_eq!(d, [34.0, 46.0, 78.0, 106.0]);
    }

    #[test]
    fn fast_activations_match_libm() {
        for k in -2000..=2000 {
            let x = k as f32 * 0.01;
            assert!((exp(x) - x.exp()).abs() <= 1e-6 * x.exp(), "exp({x})");
            assert!((tanh(x) - x.tanh()).abs() < 1e-6, "tanh({x})");
            assert!(
                (sigmoid(x) - 1.0 / (1.0 + (-x).exp())).abs() < 1e-6,
                "sigmoid({x})"
            );
        }
    }
}
