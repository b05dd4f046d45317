from rustdoc_cli.cli import main

main()
