"""A built plugin reports its tail to a host from construction on, as pluginval and DAWs scanning plugins ask
for it before they prepare it: the tail of the default settings, and after the host prepares it, the tail of
the settings at that rate. Checked through the VST3 interface itself (pedalboard does not expose the tail):
a small host in a process of its own loads the bundle's module, creates its audio processor component and
asks IAudioProcessor::getTailSamples, which JUCE's wrapper answers from getTailLengthSeconds at the setup's
sample rate (44.1 kHz until the host sets one up)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from vaist_lab.dsp.chain import Chain
from vaist_lab.plan import load_plan

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the host below loads Linux bundles")

# A VST3 host of the fewest calls, in ctypes: each interface is a pointer to a table of functions whose first
# three are FUnknown's (queryInterface, addRef, release). IIDs as the VST3 SDK lays them out off Windows.
HOST = r"""
import ctypes, json, struct, sys

so, rate = sys.argv[1], float(sys.argv[2])
IID_COMPONENT = struct.pack(">4I", 0xE831FF31, 0xF2D54301, 0x928EBBEE, 0x25697802)
IID_AUDIO_PROCESSOR = struct.pack(">4I", 0x42043F99, 0xB7DA453C, 0xA569E79D, 0x9AAEC33D)

def method(obj, index, *argtypes, restype=ctypes.c_int32):
    table = ctypes.cast(obj, ctypes.POINTER(ctypes.POINTER(ctypes.c_void_p))).contents
    return lambda *args: ctypes.CFUNCTYPE(restype, ctypes.c_void_p, *argtypes)(table[index])(obj, *args)

class ClassInfo(ctypes.Structure):
    _fields_ = [("cid", ctypes.c_char * 16), ("cardinality", ctypes.c_int32),
                ("category", ctypes.c_char * 32), ("name", ctypes.c_char * 64)]

class ProcessSetup(ctypes.Structure):
    _fields_ = [("processMode", ctypes.c_int32), ("symbolicSampleSize", ctypes.c_int32),
                ("maxSamplesPerBlock", ctypes.c_int32), ("sampleRate", ctypes.c_double)]

module = ctypes.CDLL(so)
module.ModuleEntry.argtypes = [ctypes.c_void_p]
assert module.ModuleEntry(ctypes.c_void_p(module._handle))
module.GetPluginFactory.restype = ctypes.c_void_p
factory = ctypes.c_void_p(module.GetPluginFactory())
count = method(factory, 4)()
infos = [ClassInfo() for _ in range(count)]
for index, info in enumerate(infos):
    method(factory, 5, ctypes.c_int32, ctypes.POINTER(ClassInfo))(index, ctypes.byref(info))
cid = next(info.cid for info in infos if info.category == b"Audio Module Class")
component = ctypes.c_void_p()
assert method(factory, 6, ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p))(
    cid, IID_COMPONENT, ctypes.byref(component)) == 0
assert method(component, 3, ctypes.c_void_p)(None) == 0  # IPluginBase::initialize, no host context
processor = ctypes.c_void_p()
assert method(component, 0, ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p))(
    IID_AUDIO_PROCESSOR, ctypes.byref(processor)) == 0
tail_samples = method(processor, 10, restype=ctypes.c_uint32)
before = tail_samples()  # what pluginval's "Reported taillength" reads: nothing set up or prepared yet
assert method(processor, 7, ctypes.POINTER(ProcessSetup))(ctypes.byref(ProcessSetup(0, 0, 512, rate))) == 0
assert method(component, 11, ctypes.c_uint8)(1) == 0  # IComponent::setActive: JUCE's prepareToPlay
prepared = tail_samples()
method(component, 11, ctypes.c_uint8)(0)
method(processor, 2)()
method(component, 4)()  # IPluginBase::terminate
method(component, 2)()
print(json.dumps({"before": before, "prepared": prepared}))
"""


def host_tail(bundle: Path, sample_rate: float) -> dict[str, int]:
    binary = next((bundle / "Contents").glob("*-linux/*.so"))
    result = subprocess.run(
        [sys.executable, "-c", HOST, str(binary), str(sample_rate)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def model_tail_samples(template: str, sample_rate: float) -> int:
    chain = Chain(load_plan(template))
    chain.prepare(sample_rate)
    return round(chain.tail_seconds() * sample_rate)


def test_the_tail_of_the_defaults_is_reported_before_the_host_prepares(
    template_plugin: Callable[[str], Path],
) -> None:
    reported = host_tail(template_plugin("tape-echo"), 96000.0)
    expected_before = model_tail_samples("tape-echo", 44100.0)  # JUCE's wrapper's rate until set up
    assert expected_before > 44100, "tape-echo's default repeats ring for seconds"
    assert abs(reported["before"] - expected_before) <= 1, "pluginval used to read 0 here"
    assert abs(reported["prepared"] - model_tail_samples("tape-echo", 96000.0)) <= 1
