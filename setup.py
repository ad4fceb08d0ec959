"""The one compiled part of derive, its one-word kernels' two loops (derive/codegen/_loops.c);
everything else is declared in pyproject.toml. Optional: where no C compiler builds it, derive
installs without it and those kernels run on NumPy alone. (An extension in pyproject.toml is
still experimental in setuptools, so it is declared here.)"""
from setuptools import Extension, setup

setup(ext_modules=[Extension("derive.codegen._loops", ["derive/codegen/_loops.c"],
                             extra_compile_args=["-O3", "-fopenmp-simd"], optional=True)])
