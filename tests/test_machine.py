"""machine.py: CPU facts read from Linux's cpuinfo."""

from tasktokens.machine import cpu_has_native_bf16, cpu_model


def test_native_bf16_and_the_model_are_read_from_cpuinfo(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu sse2 avx2 fma avx512f\n\nprocessor\t: 1\nmodel name\t: other\n")
    assert cpu_has_native_bf16(info) is False
    assert cpu_model(info) == "AMD EPYC"
    info.write_text("processor : 0\nflags : fpu avx2 avx512f avx512_bf16\n")
    assert cpu_has_native_bf16(info) is True
    info.write_text("flags : fpu amx_tile amx_bf16\n")
    assert cpu_has_native_bf16(info) is True
    assert cpu_has_native_bf16(tmp_path / "missing") is None
    assert cpu_model(tmp_path / "missing")  # the platform's name for it, never empty
