"""Dense bf16 peak TFLOP/s of the GPUs the benchmarks report model-FLOPs utilisation (MFU) against (vendor datasheets)."""
PEAKS = {"H100": 989.0, "H200": 989.0, "A100": 312.0, "L40S": 362.0}


def peak_tflops(gpu_name:str|None, override:float|None=None) -> float|None:
    "`override`, else the peak of the first known GPU whose name appears in `gpu_name`, else None (no MFU printed)"
    return override or next((v for k, v in PEAKS.items() if gpu_name and k in gpu_name), None)
