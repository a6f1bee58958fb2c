"""What the ImageNet classifier saw, as words people search with and a caption that reads well.

The classifier (vision/efficientnet.py) gives 1000 probabilities. Trained with label smoothing, it
rarely puts more than ~0.9 on one class, and a photo it knows well often splits its mass among
close classes (three cat breeds at 0.4, 0.3 and 0.2). So the caption is built from the top few
classes and from everyday terms whose mass is summed over the classes that carry them
(vision/imagenet.py): "cat" gets 0.9 there although no breed is sure. Thresholds were set by
looking at the classifier's output on real photos (the scikit-image, matplotlib and scikit-learn
sample photographs used in the tests): textures, microscope images and drawings spread their mass
so thinly that no class reaches MIN_CLASS and no term MIN_TERM, and they get no caption at all,
while every photo of an everyday subject had its subject above both.
"""

from __future__ import annotations

from dataclasses import dataclass

from imgsearch.describers.local.vision.imagenet import ImageNetClass, everyday_terms, with_article

TOP_CLASSES = 5
MIN_CLASS = 0.15  # a class is named when it has this much probability
MIN_TERM = 0.30  # an everyday term is named when the classes carrying it have this much together
SURE = 0.50  # below this, the caption says "perhaps"
MAX_NAMED = 3
MAX_TERMS = 4


@dataclass(frozen=True)
class Recognition:
    """The classes and everyday terms worth keeping, with their probabilities."""

    classes: list[tuple[ImageNetClass, float]]  # named classes, most likely first
    terms: list[tuple[str, float]]  # everyday terms, most likely first
    candidates: list[tuple[ImageNetClass, float]]  # the top classes, kept in the details

    @property
    def confidence(self) -> float:
        """How sure the caption is: the larger of the best class and the best term."""
        best_class = self.classes[0][1] if self.classes else 0.0
        best_term = self.terms[0][1] if self.terms else 0.0
        return max(best_class, best_term)

    def details(self) -> dict:
        """What goes into the image's details (every candidate with its score, for filters later)."""
        return {
            "labels": [
                {"name": c.name, "score": round(p, 4), "index": c.index, "category": c.category}
                for c, p in self.candidates
            ],
            "terms": [{"term": t, "score": round(p, 4)} for t, p in self.terms],
        }


def recognise(probabilities, classes: tuple[ImageNetClass, ...]) -> Recognition:
    """The classes and terms to name, from the classifier's probabilities (index order)."""
    order = sorted(range(len(probabilities)), key=lambda i: -float(probabilities[i]))[:TOP_CLASSES]
    candidates = [(classes[i], float(probabilities[i])) for i in order]
    named = [(c, p) for c, p in candidates if p >= MIN_CLASS][:MAX_NAMED]
    terms = [(t, p) for t, p in everyday_terms(candidates, min_share=MIN_TERM)]
    return Recognition(named, terms, [(c, p) for c, p in candidates if p >= 0.01])


def caption(seen: Recognition) -> str | None:
    """'An Egyptian cat or a tabby cat (a cat, a pet, an animal).' or None when nothing is sure enough."""
    names = [c.name for c, _ in seen.classes]
    lowered = {n.lower() for n in names}
    extra = [t for t, _ in seen.terms if t.lower() not in lowered and not _inside(t, names)][:MAX_TERMS]
    if not names and not extra:
        return None
    if names:
        subject = " or ".join(with_article(n) for n in names)
        text = subject[0].upper() + subject[1:]
        if extra:
            text += " (" + ", ".join(with_article(t) for t in extra) + ")"
    else:
        first = with_article(extra[0])
        text = first[0].upper() + first[1:]
        if extra[1:]:
            text += " (" + ", ".join(with_article(t) for t in extra[1:]) + ")"
    if seen.confidence < SURE:
        first = text.split()[0]
        initialism = len(first) > 1 and first.isupper()  # "TV", "ATM": keep their capitals
        text = "Perhaps " + (text if initialism else text[0].lower() + text[1:])
    return text + "."


def _inside(term: str, names: list[str]) -> bool:
    """Whether a term only repeats a named class ("cat" is not inside "tabby cat"; "tabby" is)."""
    lowered = term.lower()
    return any(lowered != n.lower() and lowered in n.lower().split()[:-1] for n in names)
