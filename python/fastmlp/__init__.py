from fastmlp._core import *
