import os.path as osp
import sys

# Let the tests of this folder import the shared helpers (fake benchmark
# trees, fake sampler datasets) whether or not the test folders are
# packages.
HERE = osp.dirname(__file__)
sys.path[:0] = [HERE, osp.join(HERE, 'test_samplers')]
