# Shortcuts for the scripts in tools/ (which work without make, too).
.PHONY: build run test asan clean
build:
	bash tools/build.sh
run:
	bash tools/playground.sh
test:
	bash tools/test.sh
asan:
	BUILD_DIR=build-asan ENUMD_DEPS=test bash tools/build.sh -DENUMD_SANITIZE=ON && cd build-asan && ctest --output-on-failure -j2
clean:
	rm -rf build build-asan var
