module github.com/skirmishgg/skirmish

go 1.26.8

require (
	github.com/gobwas/ws v1.5.0
	github.com/mailru/easygo v0.0.0-20190618140210-3c14a0dc985f
	golang.org/x/sys v0.50.0
	golang.org/x/time v0.16.0
	google.golang.org/protobuf v1.36.12
)

require github.com/gobwas/httphead v0.1.0 // indirect

tool google.golang.org/protobuf/cmd/protoc-gen-go
