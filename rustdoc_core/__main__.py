from rustdoc_core.cli import main

main()
