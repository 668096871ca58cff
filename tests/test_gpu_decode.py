"""Big JPEGs decoded on the GPU (gpu_decode.py) are prepared as the CPU path prepares them: turned
as EXIF says, resized and cropped with the same sizes; the pixels differ by a few levels at most."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image, ImageOps

from imgorg.embed import get_backbone
from imgorg.embed.decode import decode_file
from imgorg.embed.gpu_decode import EncodedJpeg, _prepare, _upright, as_encoded
from imgorg.embed.preprocess import load_and_prepare

PRE = get_backbone("efficientnet-lite0").preprocess


def photo(width=1400, height=1000, orientation=1, mode="RGB") -> bytes:
    """A smooth photo-like JPEG (gradients and a disc) with an EXIF orientation."""
    y, x = np.mgrid[:height, :width]
    pixels = np.stack([x * 255 // width, y * 255 // height, ((x - width / 2) ** 2 + (y - height / 2) ** 2 < 9e4) * 200],
                      axis=2).astype(np.uint8)
    image = Image.fromarray(pixels).convert(mode)
    exif = image.getexif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=92, exif=exif.tobytes())
    return buffer.getvalue()


@pytest.mark.parametrize("orientation", range(1, 9))
def test_upright_turns_as_pil_does(orientation):
    a = (np.arange(4 * 6 * 3) % 251).astype(np.uint8).reshape(4, 6, 3)
    data = io.BytesIO()
    exif = Image.new("RGB", (1, 1)).getexif()
    exif[0x0112] = orientation
    Image.fromarray(a).save(data, format="PNG", exif=exif.tobytes())
    expected = np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(data.getvalue()))))
    assert np.array_equal(_upright(torch.from_numpy(a).permute(2, 0, 1), orientation).permute(1, 2, 0).numpy(), expected)


@pytest.mark.parametrize("orientation", [1, 6, 8])
def test_prepared_on_the_device_as_on_the_cpu(orientation):
    data = photo(orientation=orientation)
    encoded = as_encoded(data, PRE)
    assert encoded is not None and encoded.orientation == orientation
    decoded = torch.from_numpy(np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))).permute(2, 0, 1)
    on_device = _prepare(decoded, orientation, PRE).numpy().astype(int)
    on_cpu = load_and_prepare(data, PRE).astype(int)  # PIL: reduced decode, then resize and crop
    assert on_device.shape == on_cpu.shape == (224, 224, 3)
    assert np.abs(on_device - on_cpu).mean() < 3


def test_only_big_rgb_jpegs_are_left_for_the_gpu(tmp_path):
    on_device = PRE.__class__(PRE.input_size, PRE.mean, PRE.std, PRE.resample, jpeg_on_device=True)
    for name, data, left in [("big.jpg", photo(), True), ("small.jpg", photo(400, 300), False),
                             ("cmyk.jpg", photo(mode="CMYK"), False), ("short.jpg", photo()[:-50], False)]:
        (tmp_path / name).write_bytes(data)
        pixels, error = decode_file(tmp_path / name, on_device)
        assert error is None and isinstance(pixels, EncodedJpeg) == left, name
    pixels, _ = decode_file(tmp_path / "big.jpg", PRE)  # without the flag: decoded here
    assert pixels.shape == (224, 224, 3)


@pytest.mark.parametrize("device", [
    pytest.param("cpu", marks=pytest.mark.reference),
    pytest.param("cuda", marks=[pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")]),
])
def test_torchvision_decodes_a_batch_as_pil_does(device):
    """torchvision's decoder through the runner's batch path: nvJPEG on a GPU, its CPU stand-in elsewhere."""
    pytest.importorskip("torchvision")
    from imgorg.embed.gpu_decode import decode_batch

    datas = [photo(orientation=o) for o in (1, 6)]
    out = decode_batch([EncodedJpeg(d, o) for d, o in zip(datas, (1, 6))], PRE, torch.device(device)).cpu()
    for got, data in zip(out.numpy().astype(int), datas):
        assert np.abs(got - load_and_prepare(data, PRE).astype(int)).mean() < 3
