"""The digits come from scikit-learn's bundled file, read without importing scikit-learn."""

import subprocess
import sys

import numpy as np

from pipeline.data.digits import bundled_digits


def test_the_bundled_digits_are_scikit_learns():
    from sklearn.datasets import load_digits

    images, labels = bundled_digits()
    digits = load_digits()
    assert np.array_equal(images, digits.images) and images.dtype == digits.images.dtype
    assert np.array_equal(labels, digits.target)


def test_reading_the_digits_leaves_scikit_learn_unimported():
    check = (
        "import sys; from pipeline.data.digits import bundled_digits; bundled_digits(); "
        "assert 'sklearn' not in sys.modules, 'scikit-learn was imported'"
    )
    subprocess.run([sys.executable, "-c", check], check=True)
