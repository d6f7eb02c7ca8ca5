module github.com/zizq/libzizq/bindings/go

go 1.21
