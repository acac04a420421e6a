// DelayLine: a fractional delay read from a circular buffer, optionally inside a FeedbackLoop
// (vaist_lab/dsp/blocks/delay_line.py). Per sample, as the model's documented conventions:
// - d = time * (fs / 1000) samples, clamped to [minDelay, maxDelay] (minDelay 1, or 2 for lagrange3 and
//   thiran; maxDelay = max(maxTimeMs * fs / 1000, minDelay), `maxTimeMs` set by the Chain before prepare);
//   i = floor(d), f = d - i.
// - x[n - k] is buffer[(writeIndex - k) mod size]; each sample reads first (y[n] never sees x[n]), then
//   writes x[n] (+ fb[n] lp[n] with a linked FeedbackLoop) and advances writeIndex.
// - none: x[n-i]; linear: (1 - f) x[n-i] + f x[n-i-1]; lagrange3: JUCE's 4-point Lagrange at p = f + 1
//   on x[n-i+1], x[n-i], x[n-i-1], x[n-i-2]; thiran: if f < 0.618 then i -= 1, f += 1;
//   alpha = (1 - f)/(1 + f); y = alpha x[n-i] + x[n-i-1] - alpha y[n-1] (y[n-1] in `thiranState`).
//   Taps are summed in that order, left to right, as the model does.
#pragma once

#include "../block.h"
#include "../design.h"
#include "FeedbackLoop.h"

namespace vaist
{

inline constexpr double maxTailSeconds = 30.0;
inline constexpr double decayDb = 60.0;

// An input's latest value: its control's last value once the Chain has set one, else its default.
inline double currentValue (const Control& control, double defaultValue)
{
    return control.values != nullptr && control.numSamples > 0 ? control.last() : defaultValue;
}

// The first pass through a delay, then the time its repeats (each `loopGain` times the one before) take
// to decay by decayDb; capped at maxTailSeconds.
inline double echoTailSeconds (double delaySeconds, double loopGain)
{
    if (loopGain <= 0.0)
        return std::min (maxTailSeconds, delaySeconds);
    if (loopGain >= 1.0)
        return maxTailSeconds;
    const double roundTrips = (decayDb / 20.0) / -std::log10 (loopGain);
    return std::min (maxTailSeconds, delaySeconds * (1.0 + roundTrips));
}

class DelayLine
{
public:
    enum class Interpolation { none, linear, lagrange3, thiran };

    static constexpr double defaultTimeMs = 250.0;      // catalogue default of `time`
    static constexpr double thiranShiftBelow = 0.618;

    Control time;
    double maxTimeMs = 5000.0;                   // the catalogue limit; the Chain sets the plan's largest time
    FeedbackLoop* feedbackLoop = nullptr;        // the Chain links the FeedbackLoop that follows

    explicit DelayLine (Interpolation interpolationToUse = Interpolation::linear)
        : interpolation (interpolationToUse),
          minDelay (interpolationToUse == Interpolation::lagrange3 || interpolationToUse == Interpolation::thiran ? 2.0
                                                                                                                  : 1.0)
    {
    }

    void prepare (const ProcessSpec& spec)
    {
        sampleRate = spec.sampleRate;
        maxDelay = std::max (maxTimeMs * spec.sampleRate / 1000.0, minDelay);
        // The model's size: room for the farthest tap (lagrange3: i + 2) and a block written ahead.
        size = (int) std::floor (maxDelay) + 3 + spec.maxBlock;
        buffer.assign ((size_t) spec.channels * (size_t) size, 0.0);
        thiranState.assign ((size_t) spec.channels, 0.0);
        reset();
    }

    void reset()
    {
        std::fill (buffer.begin(), buffer.end(), 0.0);
        std::fill (thiranState.begin(), thiranState.end(), 0.0);
        writeIndex = 0;
    }

    double delaySamples (double timeMs) const
    {
        return std::min (std::max (timeMs * (sampleRate / 1000.0), minDelay), maxDelay);
    }

    void process (AudioBlock& block, ProcessContext&)
    {
        if (time.isConstant)
        {
            processConstantTime (block);
            return;
        }
        const int numSamples = block.numSamples;
        FeedbackLoop* const loop = feedbackLoop;
        const bool constantDamping = loop == nullptr || loop->damping.isConstant;
        const double constantG = loop != nullptr && constantDamping ? onePoleCoefficient (loop->damping.first(), sampleRate)
                                                                    : 0.0;
        for (int channel = 0; channel < block.numChannels; ++channel)
        {
            double* samples = block.channel (channel);
            double* line = buffer.data() + (size_t) channel * (size_t) size;
            double& thiran = thiranState[(size_t) channel];
            double* damper = loop != nullptr ? &loop->dampingState[(size_t) channel] : nullptr;
            int index = writeIndex;
            auto tap = [line, this, &index] (int k) {
                const int position = index - k;
                return line[position < 0 ? position + size : position];
            };
            for (int n = 0; n < numSamples; ++n)
            {
                const double d = delaySamples (time[n]);
                const double whole = std::floor (d);
                double f = d - whole;
                int i = (int) whole;
                double y = 0.0;
                switch (interpolation)
                {
                    case Interpolation::none:
                        y = tap (i);
                        break;
                    case Interpolation::linear:
                        y = (1.0 - f) * tap (i) + f * tap (i + 1);
                        break;
                    case Interpolation::lagrange3:
                    {
                        const double p = f + 1.0;
                        const double d1 = p - 1.0, d2 = p - 2.0, d3 = p - 3.0;
                        y = -d1 * d2 * d3 / 6.0 * tap (i - 1) + p * d2 * d3 / 2.0 * tap (i)
                            + -p * d1 * d3 / 2.0 * tap (i + 1) + p * d1 * d2 / 6.0 * tap (i + 2);
                        break;
                    }
                    case Interpolation::thiran:
                    {
                        if (f < thiranShiftBelow)
                        {
                            i -= 1;
                            f += 1.0;
                        }
                        const double alpha = (1.0 - f) / (1.0 + f);
                        thiran = (alpha * tap (i) + tap (i + 1)) - alpha * thiran;
                        y = thiran;
                        break;
                    }
                }
                double x = samples[n];
                if (loop != nullptr)
                {
                    const double G = constantDamping ? constantG : onePoleCoefficient (loop->damping[n], sampleRate);
                    const double v = G * (y - *damper);
                    const double lp = v + *damper;
                    *damper = lp + v;
                    x = x + loop->feedback[n] / 100.0 * lp;
                }
                line[index] = x;
                index = index + 1 == size ? 0 : index + 1;
                samples[n] = y;
            }
        }
        writeIndex = (int) (((long long) writeIndex + numSamples) % size);
    }

    // The delay, then (with feedback) until the repeats have decayed by 60 dB, capped at 30 s.
    double tailSeconds() const
    {
        const double delay = delaySamples (currentValue (time, defaultTimeMs)) / sampleRate;
        const double feedback = feedbackLoop == nullptr ? 0.0 : currentValue (feedbackLoop->feedback, 0.0) / 100.0;
        return echoTailSeconds (delay, feedback);
    }

    std::vector<double> buffer;       // one circular buffer per channel, `size` samples each
    std::vector<double> thiranState;  // y[n-1] of the thiran allpass, per channel
    int writeIndex = 0;

private:
    // A constant time: the taps, their weights (each formed as in process, so the products are the same)
    // and the loop's coefficients are worked out once per block instead of per sample.
    void processConstantTime (AudioBlock& block)
    {
        const double d = delaySamples (time.first());
        const double whole = std::floor (d);
        double f = d - whole;
        int i = (int) whole;
        switch (interpolation)
        {
            case Interpolation::none:
            {
                const double weights[1] = { 1.0 };  // 1.0 * x == x
                runFixed<1> (block, i, weights);
                break;
            }
            case Interpolation::linear:
            {
                const double weights[2] = { 1.0 - f, f };
                runFixed<2> (block, i, weights);
                break;
            }
            case Interpolation::lagrange3:
            {
                const double p = f + 1.0;
                const double d1 = p - 1.0, d2 = p - 2.0, d3 = p - 3.0;
                const double weights[4] = { -d1 * d2 * d3 / 6.0, p * d2 * d3 / 2.0, -p * d1 * d3 / 2.0, p * d1 * d2 / 6.0 };
                runFixed<4> (block, i - 1, weights);
                break;
            }
            case Interpolation::thiran:
            {
                if (f < thiranShiftBelow)
                {
                    i -= 1;
                    f += 1.0;
                }
                runThiran (block, i, (1.0 - f) / (1.0 + f));
                break;
            }
        }
        writeIndex = (int) (((long long) writeIndex + block.numSamples) % size);
    }

    // y = sum over k of weights[k] x[n - (first + k)], summed left to right.
    template <int Taps>
    void runFixed (AudioBlock& block, int first, const double* weights)
    {
        runConstant (block, first, [this, weights] (const double* line, int read, double&) {
            double y = weights[0] * line[read];
            for (int k = 1; k < Taps; ++k)
            {
                const int position = read - k;
                y = y + weights[k] * line[position < 0 ? position + size : position];
            }
            return y;
        });
    }

    // The allpass on x[n - i] (at `read`) and x[n - i - 1]; `thiran` is the channel's y[n-1].
    void runThiran (AudioBlock& block, int i, double alpha)
    {
        runConstant (block, i, [this, alpha] (const double* line, int read, double& thiran) {
            const double older = line[read == 0 ? size - 1 : read - 1];
            thiran = (alpha * line[read] + older) - alpha * thiran;
            return thiran;
        });
    }

    // The linked FeedbackLoop at one sample: the damping low-pass's G and fb = feedback / 100.
    struct LoopCoefficients
    {
        double G = 0.0, fb = 0.0;
    };

    // Settles once per block what the loop needs per sample (nothing, held coefficients or a ramp's), so
    // the sample loop tests none of it.
    template <typename Interpolate>
    void runConstant (AudioBlock& block, int first, Interpolate interpolate)
    {
        const FeedbackLoop* const loop = feedbackLoop;
        if (loop == nullptr)
        {
            runChannels<false> (block, first, interpolate, [] (int) { return LoopCoefficients {}; });
            return;
        }
        const double fs = sampleRate;
        const bool constantG = loop->damping.isConstant, constantFeedback = loop->feedback.isConstant;
        const LoopCoefficients held { constantG ? onePoleCoefficient (loop->damping.first(), fs) : 0.0,
                                      constantFeedback ? loop->feedback.first() / 100.0 : 0.0 };
        if (constantG && constantFeedback)
            runChannels<true> (block, first, interpolate, [held] (int) { return held; });
        else  // a ramp: per sample, each from its control unless it holds (G then costs no tan)
            runChannels<true> (block, first, interpolate, [loop, fs, held, constantG, constantFeedback] (int n) {
                return LoopCoefficients { constantG ? held.G : onePoleCoefficient (loop->damping[n], fs),
                                          constantFeedback ? held.fb : loop->feedback[n] / 100.0 };
            });
    }

    // Both channels of a stereo block in one pass, as OnePole does: their recursions (damping, thiran) are
    // chains of dependent adds that then overlap in the CPU; the read and write positions are the same for
    // both. Other channel counts: one channel at a time.
    template <bool HasLoop, typename Interpolate, typename Coefficients>
    void runChannels (AudioBlock& block, int first, Interpolate interpolate, Coefficients coefficients)
    {
        if (block.numChannels == 2)
        {
            runLanes<2, HasLoop> (block, 0, first, interpolate, coefficients);
            return;
        }
        for (int channel = 0; channel < block.numChannels; ++channel)
            runLanes<1, HasLoop> (block, channel, first, interpolate, coefficients);
    }

    // One channel in the constant path: its audio, its buffer and, for the block, its states in locals.
    struct Lane
    {
        double* samples;
        double* line;
        double thiran, damping;
    };

    // Channels firstChannel .. firstChannel + Lanes - 1, sample by sample: read y (from x[n - first] on),
    // write x (+ fb lp with a loop: v = G (y - s); lp = v + s; s = lp + v), output y.
    template <size_t Lanes, bool HasLoop, typename Interpolate, typename Coefficients>
    void runLanes (AudioBlock& block, int firstChannel, int first, Interpolate interpolate, Coefficients coefficients)
    {
        Lane lanes[Lanes];
        for (size_t lane = 0; lane < Lanes; ++lane)
        {
            const size_t channel = (size_t) firstChannel + lane;
            lanes[lane] = { block.channel ((int) channel), buffer.data() + channel * (size_t) size, thiranState[channel],
                            HasLoop ? feedbackLoop->dampingState[channel] : 0.0 };
        }
        int read = writeIndex - first;  // position of x[n - first]
        if (read < 0)
            read += size;
        int index = writeIndex;
        for (int n = 0; n < block.numSamples; ++n)
        {
            const LoopCoefficients c = coefficients (n);
            for (Lane& lane : lanes)
            {
                const double y = interpolate (lane.line, read, lane.thiran);
                double x = lane.samples[n];
                if constexpr (HasLoop)
                {
                    const double v = c.G * (y - lane.damping);
                    const double lp = v + lane.damping;
                    lane.damping = lp + v;
                    x = x + c.fb * lp;
                }
                lane.line[index] = x;
                lane.samples[n] = y;
            }
            index = index + 1 == size ? 0 : index + 1;
            read = read + 1 == size ? 0 : read + 1;
        }
        for (size_t lane = 0; lane < Lanes; ++lane)
        {
            const size_t channel = (size_t) firstChannel + lane;
            thiranState[channel] = lanes[lane].thiran;
            if constexpr (HasLoop)
                feedbackLoop->dampingState[channel] = lanes[lane].damping;
        }
    }

    Interpolation interpolation;
    double minDelay;
    double sampleRate = 44100.0, maxDelay = 1.0;
    int size = 1;
};

} // namespace vaist
