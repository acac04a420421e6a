// AllPass: Freeverb's 4 series allpasses per channel (Jezar at Dreampoint, public domain)
// (vaist_lab/dsp/blocks/all_pass.py). Per allpass and sample, in series (allpass 0 first):
//     bufout = buffer[idx];  out = -x + bufout;  buffer[idx] = x + bufout allpassFeedback;
//     idx = (idx + 1) mod length
// lengths as Comb's (freeverbLengths); each allpass keeps its own circular `buffer` and `bufferIndex`.
#pragma once

#include "../block.h"
#include "Comb.h"

namespace vaist
{

class AllPass
{
public:
    static constexpr int numAllPasses = 4;
    static constexpr int tunings[numAllPasses] = { 556, 441, 341, 225 };
    static constexpr double allpassFeedback = 0.5;

    void prepare (const ProcessSpec& spec)
    {
        sampleRate = spec.sampleRate;
        channels = spec.channels;
        maxLength = freeverbLengths (tunings, channels, sampleRate, lengths);
        buffer.assign ((size_t) (channels * numAllPasses) * (size_t) maxLength, 0.0);
        reset();
    }

    void reset()
    {
        std::fill (buffer.begin(), buffer.end(), 0.0);
        for (auto& channel : bufferIndex)
            std::fill (std::begin (channel), std::end (channel), 0);
    }

    void process (AudioBlock& block, ProcessContext&)
    {
        for (int channel = 0; channel < block.numChannels; ++channel)
        {
            double* samples = block.channel (channel);
            for (int stage = 0; stage < numAllPasses; ++stage)
            {
                double* line = buffer.data() + (size_t) (channel * numAllPasses + stage) * (size_t) maxLength;
                const int length = lengths[channel][stage];
                int index = bufferIndex[channel][stage];
                for (int n = 0; n < block.numSamples; ++n)
                {
                    const double x = samples[n];
                    const double bufout = line[index];
                    samples[n] = -x + bufout;
                    line[index] = x + bufout * allpassFeedback;
                    index = index + 1 == length ? 0 : index + 1;
                }
                bufferIndex[channel][stage] = index;
            }
        }
    }

    // The series' ring: each allpass's echoes halve per round trip, so ~10 round trips to -60 dB.
    double tailSeconds() const
    {
        double tail = 0.0;
        for (int stage = 0; stage < numAllPasses; ++stage)
        {
            int longest = lengths[0][stage];
            for (int channel = 1; channel < channels; ++channel)
                longest = std::max (longest, lengths[channel][stage]);
            tail += echoTailSeconds ((double) longest / sampleRate, allpassFeedback);
        }
        return tail;
    }

    std::vector<double> buffer;  // (channel, allpass) rows of maxLength samples; each uses its length
    // Per channel: a plugin is mono or stereo (the Chain prepares at most 2 channels).
    int bufferIndex[2][numAllPasses] = {};

private:
    int lengths[2][numAllPasses] = {};
    double sampleRate = 44100.0;
    int channels = 2, maxLength = 1;
};

} // namespace vaist
