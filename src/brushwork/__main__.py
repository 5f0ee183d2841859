from brushwork.cli import console_main

console_main()
