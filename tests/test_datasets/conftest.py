import os.path as osp
import sys

# Let the tests of this folder import the shared fake-tree builders whether
# or not the test folders are packages.
sys.path.insert(0, osp.dirname(__file__))
