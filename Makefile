# Shortcuts for the scripts in tools/ (which work without make, too).
.PHONY: build run test asan tsan fuzz clean
build:
	bash tools/build.sh
run:
	bash tools/playground.sh
test:
	bash tools/test.sh
asan:
	bash tools/asan.sh
tsan:
	bash tools/tsan.sh
fuzz:
	bash tools/fuzz.sh $(FUZZ_SECONDS)
clean:
	rm -rf build build-asan build-tsan build-fuzz var
