// Comb: Freeverb's 8 parallel damped feedback combs per channel (Jezar at Dreampoint, public domain)
// (vaist_lab/dsp/blocks/comb.py). Per sample, as the model's documented conventions:
// - input = (sum of the channels, left first) * fixedGain: one mono signal feeds every comb.
// - comb lengths floor((tuning + spread) * (fs / 44100) + 0.5), spread 0 for the left (and a mono)
//   channel, 23 for the right one; comb k of a channel has its own circular `buffer` (its length used),
//   `bufferIndex` and `filterStore`.
// - feedback = 0.7 + 0.28 roomSize / 100; damp = 0.4 damping / 100; per comb:
//       out = buffer[idx];  filterStore = out (1 - damp) + filterStore damp;
//       buffer[idx] = input + filterStore feedback;  idx = (idx + 1) mod length
// - each output channel is the sum of its 8 combs' `out`, comb 0 first.
#pragma once

#include "../block.h"
#include "DelayLine.h"

namespace vaist
{

inline constexpr int freeverbStereoSpread = 23;
inline constexpr double freeverbTuningSampleRate = 44100.0;

// The delay length of a Freeverb comb or allpass tuned (at 44.1 kHz) to `tuning` samples, for a channel:
// odd (right) channels are spread by 23, then scaled to the sample rate and rounded to nearest.
inline int freeverbLength (int tuning, int channel, double sampleRate)
{
    const double unscaled = (double) (tuning + freeverbStereoSpread * (channel % 2));
    return (int) std::floor (unscaled * (sampleRate / freeverbTuningSampleRate) + 0.5);
}

// Every channel's delay lengths for `tunings` (comb.py's freeverb_lengths); returns the longest (at least 1),
// the row length of the block's `buffer`.
template <int N>
inline int freeverbLengths (const int (&tunings)[N], int channels, double sampleRate, int (&lengths)[2][N])
{
    int longest = 1;
    for (int channel = 0; channel < channels; ++channel)
        for (int k = 0; k < N; ++k)
        {
            lengths[channel][k] = freeverbLength (tunings[k], channel, sampleRate);
            longest = std::max (longest, lengths[channel][k]);
        }
    return longest;
}

class Comb
{
public:
    static constexpr int numCombs = 8;
    static constexpr int tunings[numCombs] = { 1116, 1188, 1277, 1356, 1422, 1491, 1557, 1617 };
    static constexpr double fixedGain = 0.015, roomScale = 0.28, roomOffset = 0.7, dampScale = 0.4;
    static constexpr double defaultRoomSize = 50.0;  // catalogue default, for the tail before processing

    Control roomSize, damping;

    void prepare (const ProcessSpec& spec)
    {
        sampleRate = spec.sampleRate;
        channels = spec.channels;
        maxLength = freeverbLengths (tunings, channels, sampleRate, lengths);
        buffer.assign ((size_t) (channels * numCombs) * (size_t) maxLength, 0.0);
        input.assign ((size_t) spec.maxBlock, 0.0);
        reset();
    }

    void reset()
    {
        std::fill (buffer.begin(), buffer.end(), 0.0);
        for (auto& channel : bufferIndex)
            std::fill (std::begin (channel), std::end (channel), 0);
        for (auto& channel : filterStore)
            std::fill (std::begin (channel), std::end (channel), 0.0);
    }

    void process (AudioBlock& block, ProcessContext&)
    {
        const int numSamples = block.numSamples;
        for (int n = 0; n < numSamples; ++n)
        {
            double x = block.channel (0)[n];
            for (int channel = 1; channel < block.numChannels; ++channel)
                x += block.channel (channel)[n];
            input[(size_t) n] = x * fixedGain;
        }
        for (int channel = 0; channel < block.numChannels; ++channel)
        {
            double* samples = block.channel (channel);
            for (int n = 0; n < numSamples; ++n)
            {
                const double feedback = roomOffset + roomScale * roomSize[n] / 100.0;
                const double damp = dampScale * damping[n] / 100.0;
                double sum = 0.0;
                for (int comb = 0; comb < numCombs; ++comb)
                {
                    double* line = buffer.data() + (size_t) (channel * numCombs + comb) * (size_t) maxLength;
                    int& index = bufferIndex[channel][comb];
                    double& store = filterStore[channel][comb];
                    const double out = line[index];
                    store = out * (1.0 - damp) + store * damp;
                    line[index] = input[(size_t) n] + store * feedback;
                    index = index + 1 == lengths[channel][comb] ? 0 : index + 1;
                    sum = comb == 0 ? out : sum + out;
                }
                samples[n] = sum;
            }
        }
    }

    // The longest comb's decay by 60 dB: at DC its loop gain is `feedback` (the damping passes DC).
    double tailSeconds() const
    {
        const double feedback = roomOffset + roomScale * currentValue (roomSize, defaultRoomSize) / 100.0;
        return echoTailSeconds ((double) maxLength / sampleRate, feedback);
    }

    std::vector<double> buffer;  // (channel, comb) rows of maxLength samples; each comb uses its length
    // Per channel: a plugin is mono or stereo (the Chain prepares at most 2 channels).
    int bufferIndex[2][numCombs] = {};
    double filterStore[2][numCombs] = {};

private:
    std::vector<double> input;   // this block's mono input
    int lengths[2][numCombs] = {};
    double sampleRate = 44100.0;
    int channels = 2, maxLength = 1;
};

} // namespace vaist
