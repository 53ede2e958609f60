"""The image baseline: a torchvision ResNet-18 behind FastAPI, as a user would write it.

    cd bench/baseline && IMAGE_WEIGHTS=.../resnet18.pt IMAGE_LABELS=.../labels.txt \\
        /usr/bin/python3 -m uvicorn image_server:app --host 127.0.0.1 --port PORT

- POST /predict: a raw JPEG (or any picture PIL reads) as the whole body;
  answers {"label", "probabilities": [{"label", "probability"}, ...]}, the top 5
  of the softmax.
- POST /predict/batch: JSON {"instances": [{"b64": "<base64 picture>"}, ...]}
  (TensorFlow Serving's shape, the body our service takes for a batch, so
  both sides get the same bytes); answers {"predictions": [...]} of the same,
  in order, from one forward pass over the stacked batch.
- GET /stats: when the module started (CLOCK_MONOTONIC, so the bench can
  time from spawn), how long the imports and loading the weights took, and
  the decode / preprocess / inference time summed over the requests so far.

Each answer carries its own timings as headers (milliseconds): x-decode-ms
(base64 undone for a batch, PIL open + convert to RGB), x-preprocess-ms (Resize(256), CenterCrop(224),
ToTensor, Normalize, stacking), x-inference-ms (the forward pass, softmax and
top-5), and x-server-ms (from the request reaching the app to the answer's
headers: FastAPI's routing, reading the body, all the above and the JSON),
set by a plain ASGI wrapper so that it adds nothing measurable.

Eager PyTorch under torch.inference_mode(), one intra-op and one inter-op
thread (the bench pins the process to one CPU, as Lambda has ~one vCPU).
Deliberately plain, as the Flask baseline is: no validation beyond what PIL
refuses, no batching across requests.
"""

import time

STARTED = time.perf_counter()
STARTED_MONOTONIC = time.clock_gettime(time.CLOCK_MONOTONIC)

import base64  # noqa: E402
import io  # noqa: E402
import os  # noqa: E402
from typing import List  # noqa: E402

import torch  # noqa: E402
import torchvision  # noqa: E402
from fastapi import FastAPI, HTTPException, Request  # noqa: E402
from PIL import Image  # noqa: E402
from torchvision import transforms  # noqa: E402

IMPORTED = time.perf_counter()

torch.set_num_threads(1)
torch.set_num_interop_threads(1)

model = torchvision.models.resnet18(weights=None)
model.load_state_dict(torch.load(os.environ["IMAGE_WEIGHTS"], map_location="cpu"))
model.eval()
with open(os.environ["IMAGE_LABELS"]) as f_in:
    labels = [line.strip() for line in f_in if line.strip()]
TOP_K = 5

preprocess = transforms.Compose([
    transforms.Resize(256),
    transforms.CenterCrop(224),
    transforms.ToTensor(),
    transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]),
])

LOADED = time.perf_counter()

totals = {"requests": 0, "images": 0, "decode_ms": 0.0, "preprocess_ms": 0.0, "inference_ms": 0.0}

app = FastAPI()


def decode(data: bytes) -> Image.Image:
    try:
        return Image.open(io.BytesIO(data)).convert("RGB")
    except Exception as error:  # PIL's UnidentifiedImageError, a truncated file
        raise HTTPException(status_code=400, detail=f"not a picture PIL can read: {error}")


def classify(pictures: List[bytes], t0=None):
    t0 = time.perf_counter() if t0 is None else t0
    images = [decode(data) for data in pictures]
    t1 = time.perf_counter()
    batch = torch.stack([preprocess(image) for image in images])
    t2 = time.perf_counter()
    with torch.inference_mode():
        probabilities = torch.softmax(model(batch), dim=1)
        top = torch.topk(probabilities, TOP_K, dim=1)
    answers = [
        {
            "label": labels[int(indices[0])],
            "probabilities": [{"label": labels[int(i)], "probability": float(p)} for p, i in zip(values, indices)],
        }
        for values, indices in zip(top.values, top.indices)
    ]
    t3 = time.perf_counter()
    timings = {"decode_ms": (t1 - t0) * 1e3, "preprocess_ms": (t2 - t1) * 1e3, "inference_ms": (t3 - t2) * 1e3}
    totals["requests"] += 1
    totals["images"] += len(pictures)
    for key, value in timings.items():
        totals[key] += value
    return answers, timings


def with_timings(answer, timings, request: Request):
    # Read by the ASGI wrapper below, which sends them as headers.
    request.scope["bench.timings"] = timings
    return answer


@app.post("/predict")
async def predict(request: Request):
    answers, timings = classify([await request.body()])
    return with_timings(answers[0], timings, request)


@app.post("/predict/batch")
async def predict_batch(request: Request):
    instances = (await request.json())["instances"]
    t0 = time.perf_counter()
    answers, timings = classify([base64.b64decode(instance["b64"]) for instance in instances], t0)
    return with_timings({"predictions": answers}, timings, request)


@app.get("/stats")
def stats():
    return {
        "started_monotonic_s": STARTED_MONOTONIC,
        "import_ms": (IMPORTED - STARTED) * 1e3,
        "load_ms": (LOADED - IMPORTED) * 1e3,
        "versions": {"torch": torch.__version__, "torchvision": torchvision.__version__, "pil": Image.__version__},
        **totals,
    }


fastapi_app = app


async def app(scope, receive, send):  # noqa: F811 -- the ASGI app uvicorn serves
    """FastAPI's app, with x-server-ms and the timing headers added to each HTTP answer."""
    if scope["type"] != "http":
        return await fastapi_app(scope, receive, send)
    started = time.perf_counter()

    async def timed_send(message):
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            for key, value in scope.get("bench.timings", {}).items():
                headers.append((f"x-{key[:-3]}-ms".encode(), f"{value:.4f}".encode()))
            headers.append((b"x-server-ms", f"{(time.perf_counter() - started) * 1e3:.4f}".encode()))
            message = {**message, "headers": headers}
        await send(message)

    await fastapi_app(scope, receive, timed_send)
