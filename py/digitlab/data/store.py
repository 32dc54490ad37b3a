"""A labelled image set kept as uint8 (N, H, W), 28x28 for digits: 1 byte a pixel, never float."""
import numpy as np

from ..errors import DigitlabError
from ..npz import NOT_A_ZIP, Refused, read_arrays, source_bytes


class ImageSet:
    def __init__(self, images, labels, label_names):
        if images.dtype != np.uint8 or images.ndim != 3:
            raise ValueError("images must be uint8 of shape (N, H, W)")
        if len(images) != len(labels):
            raise ValueError("%d images but %d labels" % (len(images), len(labels)))
        self.images = images
        self.labels = np.asarray(labels, dtype=np.int64)
        self.label_names = [str(n) for n in label_names]

    def __len__(self):
        return len(self.images)

    @property
    def input_shape(self):
        """(H, W, 1): what a network reading these images takes."""
        return self.images.shape[1:] + (1,)

    def counts(self):
        """Images per label, in label order: int array (labels,)."""
        # intp: numpy 1.17 in 32-bit WebAssembly cannot bincount int64
        return np.bincount(self.labels.astype(np.intp), minlength=len(self.label_names))

    def subset(self, index):
        return ImageSet(self.images[index], self.labels[index], self.label_names)

    def batch(self, index, rng=None, augment=None):
        """The images at `index` as network input: float32 (B, H, W, 1) in [0, 1], augmented if asked."""
        x = self.images[index].astype(np.float32) * np.float32(1 / 255)  # (B, H, W)
        if augment is not None:
            x = augment(x, rng)
        return x[..., None]


def save_sets(path, **sets):
    """Write several ImageSets (e.g. train=..., test=...) to one compressed .npz."""
    arrays = {}
    for name, s in sets.items():
        arrays[name + "_images"] = s.images
        small = len(s.label_names) <= 256  # MNIST's ten in a byte each; a glyph set's hundreds would wrap there
        arrays[name + "_labels"] = s.labels.astype(np.uint8 if small else np.int32)
        arrays[name + "_label_names"] = np.array(s.label_names)
    np.savez_compressed(path, **arrays)


# What load_set raises for a file that is no image store: not a zip or empty (one of NOT_A_ZIP),
# refused for what it holds, with labels beyond its names or without the set asked for (ValueError).
UNREADABLE_STORE = NOT_A_ZIP + (ValueError,)
UNSURE = "?"  # what a reading not sure, or of no digit, says: so no label may be named this
MIN_LABELS = 2  # a model of one label would give it to everything, sure of it
MAX_UNPACKED = 512 * 2 ** 20  # what an image store may unpack to: 650,000 images of 28x28, and no zip bomb


def label_names_fault(names):
    """Why `names` cannot name a model's outputs, or None: a reading would name nothing (one empty)
    or two outputs alike (one twice). Image stores, model files and ONNX files are held to it."""
    if "" in names:
        return "one is empty"
    if len(set(names)) < len(names):
        return "one is named twice"
    return None


def load_set(source, name):
    """The set `name` ("train", "test") of an image store, a path or its bytes (as load_model reads
    a model); raises one of UNREADABLE_STORE. Sizes are checked before anything is unpacked
    (npz.read_arrays)."""
    source = source_bytes(source)
    keys = [name + "_images", name + "_labels", name + "_label_names"]
    try:
        arrays = read_arrays(source, MAX_UNPACKED, keys)
    except Refused as err:
        raise ValueError("it %s" % err)
    if len(arrays) < len(keys):
        raise ValueError("it has no %s set" % name)
    if arrays[keys[1]].ndim != 1:  # a Keras-style (N, 1) column of labels, or one-hot rows
        raise ValueError("its %s labels are of shape %s, not one number per image" % (name, arrays[keys[1]].shape))
    image_set = ImageSet(arrays[keys[0]], arrays[keys[1]], list(arrays[keys[2]]))
    fault = label_names_fault(image_set.label_names)  # else refused only once trained, by the model file it made
    if fault:
        raise ValueError("among its %s label names, %s" % (name, fault))
    if len(image_set) and not 0 <= image_set.labels.min() <= image_set.labels.max() < len(image_set.label_names):
        raise ValueError("its %s labels are not all among its %d label names" % (name, len(image_set.label_names)))
    return image_set


def load_sets(source):
    """(train, test) ImageSets of an image store, a path or its bytes; raises one of UNREADABLE_STORE,
    also when its two sets hold images of different sizes (a model reads one size)."""
    source = source_bytes(source)
    train, test = load_set(source, "train"), load_set(source, "test")
    if train.images.shape[1:] != test.images.shape[1:]:
        raise ValueError("its train images are %dx%d and its test images %dx%d" % (train.images.shape[1:]
                                                                                  + test.images.shape[1:]))
    return train, test


def match_labels(image_set, known):
    """The same images with labels renumbered into the list `known`, matched by name.

    A model can only be scored on labels it knows; any other is refused.
    """
    unknown = [name for name in image_set.label_names if name not in known]
    if unknown:
        raise DigitlabError("the model does not know the label%s %s; it knows %s"
                            % ("s" if len(unknown) > 1 else "", ", ".join(map(repr, unknown)), ", ".join(known)))
    index = np.array([known.index(name) for name in image_set.label_names], dtype=np.int64)
    return ImageSet(image_set.images, index[image_set.labels], known)


def check_trainable(image_set):
    """Refuse, in words, to train on images of fewer than two labels (the model would give its one
    label to everything, sure of it), or of a label UNSURE (its sure answers would read as not sure)."""
    labels = [name for name, count in zip(image_set.label_names, image_set.counts()) if count]
    if UNSURE in labels:
        raise DigitlabError("A label cannot be %s, which a reading says when not sure: rename it." % UNSURE)
    if len(labels) < MIN_LABELS:
        raise DigitlabError("Training needs images of two labels at least, to tell apart; %s. Add a label "
                            "folder, or the class \"none of these\"." % (
                                "these are all of one label, %s" % labels[0] if labels else "there are no images"))


# For known_labels_only, by whose labels a set is scored: (the reason a label left out is given, whose they are)
THE_TRAINING_FOLDERS = ("label not in the training folder: not scored", "the training folder's")
THE_MODELS = ("a label the model does not know: not scored", "the model's")


def known_labels_only(image_set, known, skip, reason, whose):
    """The images whose label is in `known`, renumbered into it; `skip(label, reason)` for each label
    dropped (a model can only be scored on the labels it knows). None known is refused, in words that
    name the labels `whose` ("the model's") they are not among. (reason, whose): THE_MODELS, say."""
    if not len(image_set):
        raise DigitlabError("There are no images to score.")
    index = np.array([known.index(name) if name in known else -1 for name in image_set.label_names])
    labels = index[image_set.labels]  # -1: a label the model does not know
    kept = labels >= 0
    if not kept.any():
        raise DigitlabError("None of the labels of these images (%s) is among %s (%s)."
                            % (", ".join(image_set.label_names), whose, ", ".join(known)))
    for name in image_set.label_names:
        if name not in known:
            skip(name, reason)
    return ImageSet(image_set.images[kept], labels[kept], known)


def unvalidated(train_set, val_set):
    """[(label, training images)] for each label of `train_set` with no image in `val_set` (or None)."""
    counts = train_set.counts()
    scored = set(val_set.labels.tolist()) if val_set is not None else set()
    return [(name, int(count)) for k, (name, count) in enumerate(zip(train_set.label_names, counts)) if k not in scored]


def split_off(image_set, share, seed):
    """(the rest, a random `share` of the images): a reproducible split of one set in two."""
    order = np.random.default_rng(seed).permutation(len(image_set))
    cut = int(round(share * len(image_set)))
    return image_set.subset(np.sort(order[cut:])), image_set.subset(np.sort(order[:cut]))


def joined(first, second):
    """One set of both sets' images, with `first`'s label names (the second's labels index them too)."""
    return ImageSet(np.concatenate([first.images, second.images]), np.concatenate([first.labels, second.labels]),
                    first.label_names)
