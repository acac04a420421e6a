"""Comb: Freeverb's 8 parallel damped feedback combs per channel (Jezar at Dreampoint, public domain).

Conventions (the C++ header does the same, sample for sample):
- input = (sum of the channels, left first) * FIXED_GAIN: one mono signal feeds every comb, so a mono and
  a stereo signal are summed the same way.
- comb lengths: floor((tuning + spread) * (fs / 44100) + 0.5), tunings COMB_TUNINGS, spread 0 for the left
  (and a mono) channel, STEREO_SPREAD for the right one. Comb k of a channel keeps its own circular
  `buffer` (lengths[k] used), `buffer_index` and `filter_store`.
- feedback = 0.7 + 0.28 roomSize / 100; damp = 0.4 damping / 100; per comb and sample:
      out = buffer[idx];  filter_store = out (1 - damp) + filter_store damp;
      buffer[idx] = input + filter_store feedback;  idx = (idx + 1) mod length
- each output channel is the sum of its 8 combs' `out`, comb 0 first.

Vectorised: all combs of all channels at once, in chunks no longer than the shortest comb (every value
read was written before the chunk), the damping one-pole as one lfilter; sample by sample only while
`damping` ramps. A block no longer than the shortest comb is one chunk, read from and written back into
the rings directly. For a longer block each ring is unrolled into a row of one array (the `length`
values still to be read, oldest first, then the block's writes), so reads are one gather at fixed offsets
and writes one slice, without any modulo; the rows are rolled back into `buffer` at the end of the block.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import signal

from vaist_lab.dsp.block import Block, ProcessContext, ProcessSpec
from vaist_lab.dsp.blocks.delay_line import current_value, echo_tail_seconds
from vaist_lab.dsp.linear import ramp_length

COMB_TUNINGS = (1116, 1188, 1277, 1356, 1422, 1491, 1557, 1617)
STEREO_SPREAD = 23
TUNING_SAMPLE_RATE = 44100.0
FIXED_GAIN = 0.015
ROOM_SCALE = 0.28
ROOM_OFFSET = 0.7
DAMP_SCALE = 0.4


def freeverb_lengths(tunings: Sequence[int], channels: int, sample_rate: float) -> np.ndarray:
    """(channels, len(tunings)) delay lengths: tunings at 44.1 kHz, odd (right) channels spread by 23,
    scaled to the sample rate and rounded to nearest (Comb.h's freeverbLengths)."""
    spread = STEREO_SPREAD * (np.arange(channels) % 2)
    unscaled = np.asarray(tunings, dtype=np.float64)[None, :] + spread[:, None]
    scaled = unscaled * (sample_rate / TUNING_SAMPLE_RATE)
    return np.floor(scaled + 0.5).astype(np.int64)


def comb_damping(out: np.ndarray, damp: np.ndarray, store: np.ndarray, ramp: int) -> np.ndarray:
    """filter_store = out (1 - damp) + filter_store damp, per comb (rows of `out`), `store` updated in
    place; its value after every sample. The first `ramp` samples (damp moving) run one by one."""
    stores = np.empty_like(out)
    for n in range(ramp):
        store[:] = out[:, n] * (1.0 - damp[n]) + store * damp[n]
        stores[:, n] = store
    if ramp < out.shape[-1]:
        d = damp[-1]
        stores[:, ramp:] = signal.lfilter([1.0 - d], [1.0, -d], out[:, ramp:], axis=-1, zi=(d * store)[:, None])[0]
        store[:] = stores[:, -1]
    return stores


def combs_unrolled(
    buffer: np.ndarray,
    lengths: np.ndarray,
    index: np.ndarray,
    store: np.ndarray,
    x: np.ndarray,
    feedback: np.ndarray,
    damp: np.ndarray,
    damping_ramp: int,
) -> list[np.ndarray]:
    """Run the combs (rows of buffer, lengths, index, store; updated in place) over a block of x longer
    than the shortest comb: each comb's `out` for the block."""
    combs, n = lengths.size, x.size
    # line[k, longest + m] is what comb k writes at sample m, so it reads line[k, first[k] + m]; its
    # ring, from its index on, goes just before the writes (columns below first[k] are never used).
    longest = int(lengths.max())
    first = longest - lengths
    line = np.empty((combs, longest + n))
    for comb in range(combs):
        length, start = int(lengths[comb]), int(index[comb])
        line[comb, first[comb] : longest - start] = buffer[comb, start:length]
        line[comb, longest - start : longest] = buffer[comb, :start]
    chunk = int(lengths.min())
    # Every stretch of `chunk` samples of the flattened line; comb k's chunk from sample m is its row
    # reads[k] + m.
    stretches = np.lib.stride_tricks.sliding_window_view(line.reshape(-1), chunk)
    reads = np.arange(combs) * line.shape[1] + first
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        part = slice(start, stop)
        out = stretches[reads + start, : stop - start]
        ramp = min(max(damping_ramp - start, 0), stop - start)
        stores = comb_damping(out, damp[part], store, ramp)
        written = line[:, longest + start : longest + stop]
        np.multiply(stores, feedback[part], out=written)
        written += x[part]
    # Each ring gets the `length` values still to be read, from its new index on.
    for comb in range(combs):
        length = int(lengths[comb])
        start = (int(index[comb]) + n) % length
        remaining = line[comb, first[comb] + n : longest + n]
        buffer[comb, start:length] = remaining[: length - start]
        buffer[comb, :start] = remaining[length - start :]
        index[comb] = start
    return [line[comb, first[comb] : first[comb] + n] for comb in range(combs)]


class Comb(Block):
    type = "Comb"
    is_linear_time_invariant = True

    def __init__(self) -> None:
        super().__init__()
        self.prepare(self.spec)

    def prepare(self, spec: ProcessSpec) -> None:
        self.spec = spec
        self.lengths = freeverb_lengths(COMB_TUNINGS, spec.channels, spec.sample_rate)
        self.buffer = np.zeros((spec.channels, len(COMB_TUNINGS), int(self.lengths.max())))
        self.buffer_index = np.zeros((spec.channels, len(COMB_TUNINGS)), dtype=np.int64)
        self.filter_store = np.zeros((spec.channels, len(COMB_TUNINGS)))
        self.reset()

    def reset(self) -> None:
        self.buffer.fill(0.0)
        self.buffer_index.fill(0)
        self.filter_store.fill(0.0)

    def process(self, block: np.ndarray, context: ProcessContext) -> None:
        channels, n = block.shape
        x = block[0].copy()
        for channel in range(1, channels):
            x += block[channel]
        x *= FIXED_GAIN
        feedback = ROOM_OFFSET + ROOM_SCALE * self.control("roomSize").values / 100.0
        damping = self.control("damping")
        damp = DAMP_SCALE * damping.values / 100.0
        damping_ramp = ramp_length([damping])
        # Every comb of every channel as one row; views into the state, updated in place.
        combs = channels * len(COMB_TUNINGS)
        buffer = self.buffer[:channels].reshape(combs, -1)
        lengths = self.lengths[:channels].reshape(combs)
        index = self.buffer_index[:channels].reshape(combs)
        store = self.filter_store[:channels].reshape(combs)
        if n <= int(lengths.min()):
            # Nothing the block reads is written in it: straight from the rings and back.
            rows = np.arange(combs)[:, None]
            positions = (index[:, None] + np.arange(n)) % lengths[:, None]
            outputs = buffer[rows, positions]
            stores = comb_damping(outputs, damp, store, damping_ramp)
            buffer[rows, positions] = x + stores * feedback
            index[:] = (index + n) % lengths
        else:
            outputs = combs_unrolled(buffer, lengths, index, store, x, feedback, damp, damping_ramp)
        for channel in range(channels):
            combs_of_channel = outputs[channel * len(COMB_TUNINGS) : (channel + 1) * len(COMB_TUNINGS)]
            block[channel] = combs_of_channel[0]
            for out in combs_of_channel[1:]:
                block[channel] += out

    def tail_seconds(self) -> float:
        """The longest comb's decay by 60 dB: at DC its loop gain is `feedback` (the damping passes DC)."""
        feedback = ROOM_OFFSET + ROOM_SCALE * current_value(self, "roomSize") / 100.0
        return echo_tail_seconds(float(self.lengths.max()) / self.spec.sample_rate, feedback)
