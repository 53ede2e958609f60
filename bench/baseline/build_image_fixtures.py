"""The image rows' fixtures (npm run bench builds them; nothing here is committed).

    /usr/bin/python3 bench/baseline/build_image_fixtures.py OUT_DIR

Writes into OUT_DIR (the bench uses .bench-cache/images, git-ignored):

- resnet18.pt: the state dict of torchvision's ResNet-18 with seeded random
  init (torch.manual_seed(0), resnet18(weights=None), eval), for the PyTorch
  side (image_server.py);
- resnet18.onnx: the same module exported with torch.onnx.export (opset 17,
  input "input" [batch, 3, 224, 224], output "logits" [batch, 1000], batch
  dynamic), for ours;
- labels.txt: class_0 ... class_999, one a line, in logit order;
- jpegs/*.jpg: real photographs from scikit-image's data folder re-encoded as
  JPEG at their own size (PIL, quality 90);
- fixtures.json: what was written (sizes, sha256) and the check that the ONNX
  file and the state dict give the same logits (onnx is not needed: the check
  loads the state dict back into a fresh module and compares);
- example_input.f32, example_logits.f32: a seeded [2, 3, 224, 224] batch and
  PyTorch's logits for it (raw little-endian float32), so the bench can check
  that onnxruntime gives the same logits for the same tensor.

No pretrained weights: the labels are meaningless and so are the top-5, but
the work per image (decode, resize, crop, normalise, 1.8 GFLOPs of
convolutions) is a real ResNet-18's. Prints one JSON line (fixtures.json).
"""

import hashlib
import io
import json
import sys
import time
from pathlib import Path

import torch
import torchvision
from PIL import Image

PHOTOS = [
    "astronaut.png",
    "chelsea.png",
    "coffee.png",
    "rocket.jpg",
    "motorcycle_left.png",
    "motorcycle_right.png",
    "hubble_deep_field.jpg",
    "retina.jpg",
]
SKIMAGE_DATA = Path("/usr/lib/python3/dist-packages/skimage/data")
OPSET = 17


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def main(argv):
    if len(argv) != 2:
        sys.exit("usage: build_image_fixtures.py OUT_DIR")
    out = Path(argv[1])
    (out / "jpegs").mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    torch.set_num_threads(1)

    torch.manual_seed(0)
    model = torchvision.models.resnet18(weights=None).eval()
    torch.save(model.state_dict(), out / "resnet18.pt")

    # The export is traced on a batch of 2 with the batch axis dynamic.
    example = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(1))
    with torch.inference_mode():
        expected = model(example)
    torch.onnx.export(
        model,
        example,
        str(out / "resnet18.onnx"),
        opset_version=OPSET,
        input_names=["input"],
        output_names=["logits"],
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
        do_constant_folding=True,
    )
    (out / "labels.txt").write_text("".join(f"class_{i}\n" for i in range(1000)))

    # The state dict round-trips: a fresh module loaded from it gives the same logits.
    reloaded = torchvision.models.resnet18(weights=None)
    reloaded.load_state_dict(torch.load(out / "resnet18.pt"))
    reloaded.eval()
    with torch.inference_mode():
        roundtrip = float((reloaded(example) - expected).abs().max())

    (out / "example_input.f32").write_bytes(example.numpy().astype("<f4").tobytes())
    (out / "example_logits.f32").write_bytes(expected.numpy().astype("<f4").tobytes())

    photos = []
    for name in PHOTOS:
        image = Image.open(SKIMAGE_DATA / name).convert("RGB")
        target = out / "jpegs" / (Path(name).stem + ".jpg")
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=90)
        target.write_bytes(buffer.getvalue())
        photos.append({"file": target.name, "from": name, "width": image.width, "height": image.height, "bytes": target.stat().st_size, "sha256": sha256(target)})

    report = {
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "opset": OPSET,
        "onnx": {"bytes": (out / "resnet18.onnx").stat().st_size, "sha256": sha256(out / "resnet18.onnx")},
        "state_dict": {"bytes": (out / "resnet18.pt").stat().st_size, "sha256": sha256(out / "resnet18.pt")},
        "state_dict_roundtrip_max_abs": roundtrip,
        "photos": photos,
        "seconds": time.perf_counter() - started,
    }
    (out / "fixtures.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv)
