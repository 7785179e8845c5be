/*
 * Extra ACPI devices for the QEMU test bed: a thermal zone, an AC adapter, a battery and an
 * ASUS ATK0110 hardware monitor. A stock q35 machine has none of them, so without this table the
 * guest would show no thermal zone, no power supply and only the nvme hwmon chip.
 *
 * Every live value comes from the 64 KiB scratch memory that QEMU's pc-testdev maps at
 * 0xFF000000. The guest test writes a value there with `busybox devmem`; a zero (the power-on
 * state) selects the default below, so the table works before anything is written.
 *
 * offset  value                                   unit            default
 * 0x00    thermal zone TZ0 temperature            0.1 K           3132 (40.0 °C)
 * 0x04    BAT0 remaining capacity                 mWh             40000 (80 % of 50000)
 * 0x08    BAT0 state (_BST bits)                  1 = discharging 2 (charging)
 * 0x0C    AC0 state                               2 = offline     online
 * 0x10    atk0110 in0 "Vcore Voltage"             mV              1200
 * 0x14    atk0110 in1 "+12V Voltage"              mV              12096
 * 0x18    atk0110 temp1 "CPU Temperature"         0.1 °C          455
 * 0x1C    atk0110 temp2 "MB Temperature"          0.1 °C          380
 * 0x20    atk0110 fan1 "CPU FAN Speed"            RPM             2400
 * 0x24    atk0110 fan2 "CHASSIS FAN Speed"        RPM             1100
 * 0x28    BAT0 present rate (discharge power)     mW              16650
 *
 * NOTE: a TZ0 temperature above its 115 °C critical trip makes the guest kernel power off.
 * Build: iasl -p OUTPUT_BASENAME ssdt-ember.asl
 */
DefinitionBlock ("", "SSDT", 2, "EMBER", "TESTBED", 0x00000001)
{
    Scope (\_SB)
    {
        OperationRegion (TDEV, SystemMemory, 0xFF000000, 0x100)
        Field (TDEV, DWordAcc, NoLock, Preserve)
        {
            TZTP, 32,
            BREM, 32,
            BSTS, 32,
            ACST, 32,
            VCOR, 32,
            V12V, 32,
            TCPU, 32,
            TMBD, 32,
            FCPU, 32,
            FCHS, 32,
            BRAT, 32,
        }

        /* Returns Arg0 unless it is zero, in which case Arg1. */
        Method (DFLT, 2, NotSerialized)
        {
            If (Arg0 == Zero)
            {
                Return (Arg1)
            }
            Return (Arg0)
        }

        Device (AC0)
        {
            Name (_HID, "ACPI0003")
            Name (_UID, Zero)
            Name (_PCL, Package () { \_SB })
            Method (_STA, 0, NotSerialized) { Return (0x0F) }
            Method (_PSR, 0, NotSerialized)
            {
                If (ACST == 2)
                {
                    Return (Zero)
                }
                Return (One)
            }
        }

        Device (BAT0)
        {
            Name (_HID, EisaId ("PNP0C0A"))
            Name (_UID, One)
            Name (_PCL, Package () { \_SB })
            Method (_STA, 0, NotSerialized) { Return (0x1F) }

            /* Power unit mWh, design and last full capacity 50 Wh, Li-ion, 11.1 V design voltage. */
            Method (_BIF, 0, NotSerialized)
            {
                Return (Package ()
                {
                    Zero, 50000, 50000, One, 11100, 5000, 2500, 100, 100,
                    "EMBER-BAT0", "0001", "LION", "Ember test bed"
                })
            }

            /* State, present rate (mW), remaining capacity (mWh), present voltage (mV). */
            Name (BSTP, Package () { 2, 16650, 40000, 11100 })
            Method (_BST, 0, Serialized)
            {
                BSTP [Zero] = DFLT (BSTS, 2)
                BSTP [One] = DFLT (BRAT, 16650)
                BSTP [2] = DFLT (BREM, 40000)
                Return (BSTP)
            }
        }

        /*
         * The asus_atk0110 driver's old interface: VSIF, TSIF and FSIF enumerate the sensors and
         * RVLT, RTMP and RFAN read one. Each sensor package is {id, label, limit1, limit2, enable};
         * bits 16-23 of the id are its type (2 voltage, 3 temperature, 4 fan). Limits are min/max
         * for voltages and fans, max/crit for temperatures, in the same unit as the reading.
         */
        Device (ATKD)
        {
            Name (_HID, "ATK0110")
            Name (_UID, 0x01010110)
            Method (_STA, 0, NotSerialized) { Return (0x0F) }

            Method (VSIF, 0, NotSerialized)
            {
                Return (Package ()
                {
                    2,
                    Package () { 0x06020000, "Vcore Voltage", 800, 1600, One },
                    Package () { 0x06020001, "+12V Voltage", 10200, 13800, One }
                })
            }

            Method (TSIF, 0, NotSerialized)
            {
                Return (Package ()
                {
                    2,
                    Package () { 0x06030000, "CPU Temperature", 600, 950, One },
                    Package () { 0x06030001, "MB Temperature", 450, 950, One }
                })
            }

            Method (FSIF, 0, NotSerialized)
            {
                Return (Package ()
                {
                    2,
                    Package () { 0x06040000, "CPU FAN Speed", 600, 7200, One },
                    Package () { 0x06040001, "CHASSIS FAN Speed", 600, 7200, One }
                })
            }

            Method (RVLT, 1, NotSerialized)
            {
                If ((Arg0 & 0xFFFF) == Zero)
                {
                    Return (DFLT (VCOR, 1200))
                }
                Return (DFLT (V12V, 12096))
            }

            Method (RTMP, 1, NotSerialized)
            {
                If ((Arg0 & 0xFFFF) == Zero)
                {
                    Return (DFLT (TCPU, 455))
                }
                Return (DFLT (TMBD, 380))
            }

            Method (RFAN, 1, NotSerialized)
            {
                If ((Arg0 & 0xFFFF) == Zero)
                {
                    Return (DFLT (FCPU, 2400))
                }
                Return (DFLT (FCHS, 1100))
            }
        }
    }

    Scope (\_TZ)
    {
        ThermalZone (TZ0)
        {
            Method (_TMP, 0, Serialized)
            {
                Return (\_SB.DFLT (\_SB.TZTP, 3132))
            }

            /* 115 °C in 0.1 K. */
            Method (_CRT, 0, Serialized)
            {
                Return (3882)
            }
        }
    }
}
