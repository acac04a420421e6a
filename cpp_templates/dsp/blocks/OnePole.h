// OnePole: the TPT (bilinear, prewarped) one-pole low- or high-pass (vaist_lab/dsp/blocks/one_pole.py).
// State per channel: s.  v = G (x - s);  lp = v + s;  s = lp + v;  hp = x - lp.
#pragma once

#include <vector>

#include "../block.h"
#include "../design.h"

namespace vaist
{

class OnePole
{
public:
    enum class Mode { lowpass, highpass };

    Control frequency;

    explicit OnePole (Mode modeToUse) : mode (modeToUse) {}

    void prepare (const ProcessSpec& specToUse)
    {
        spec = specToUse;
        s.assign ((size_t) spec.channels, 0.0);
        hasCoefficient = false;
    }

    void reset() { std::fill (s.begin(), s.end(), 0.0); }

    void process (AudioBlock& block, ProcessContext&)
    {
        const bool constant = frequency.isConstant;
        const bool highpass = mode == Mode::highpass;
        if (constant)
        {
            updateCoefficient (frequency.first());
            if (highpass)
                run (block, [] (double x, double lp) { return x - lp; });
            else
                run (block, [] (double, double lp) { return lp; });
            return;
        }
        for (int i = 0; i < block.numSamples; ++i)
        {
            updateCoefficient (frequency[i]);
            for (int channel = 0; channel < block.numChannels; ++channel)
            {
                double& x = block.channel (channel)[i];
                double& state = s[(size_t) channel];
                const double v = G * (x - state);
                const double lp = v + state;
                state = lp + v;
                x = highpass ? x - lp : lp;
            }
        }
    }

    double tailSeconds() const { return 0.0; }

private:
    // A constant coefficient: each channel's state in a register, the mode's output chosen once.
    template <typename Output>
    void run (AudioBlock& block, Output output)
    {
        const double g = G;
        if (block.numChannels == 2)  // both channels in one pass: two independent recursions overlap
        {
            double* left = block.channel (0);
            double* right = block.channel (1);
            double sl = s[0], sr = s[1];
            for (int i = 0; i < block.numSamples; ++i)
            {
                const double xl = left[i], xr = right[i];
                const double vl = g * (xl - sl), vr = g * (xr - sr);
                const double lpl = vl + sl, lpr = vr + sr;
                sl = lpl + vl;
                sr = lpr + vr;
                left[i] = output (xl, lpl);
                right[i] = output (xr, lpr);
            }
            s[0] = sl;
            s[1] = sr;
            return;
        }
        for (int channel = 0; channel < block.numChannels; ++channel)
        {
            double* samples = block.channel (channel);
            double state = s[(size_t) channel];
            for (int i = 0; i < block.numSamples; ++i)
            {
                const double x = samples[i];
                const double v = g * (x - state);
                const double lp = v + state;
                state = lp + v;
                samples[i] = output (x, lp);
            }
            s[(size_t) channel] = state;
        }
    }

    void updateCoefficient (double frequencyHz)
    {
        if (hasCoefficient && frequencyHz == lastFrequency)
            return;
        G = onePoleCoefficient (frequencyHz, spec.sampleRate);
        lastFrequency = frequencyHz;
        hasCoefficient = true;
    }

    Mode mode;
    ProcessSpec spec;
    std::vector<double> s;
    double G = 0.0, lastFrequency = 0.0;
    bool hasCoefficient = false;
};

} // namespace vaist
